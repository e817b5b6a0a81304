"""primebench's own HTTP/1.1 core: llhttp (httptools) on uvloop, one event loop per worker.

Why a core of our own: on granian every request crosses from its Rust I/O thread to the
Python thread and back, and that hand-off, not our code, is most of what a cheap answer
costs (docs/PERFORMANCE.md: the bare RSGI app is 0.70 x Go at 16 connections). Here the
bytes arrive in `data_received`, llhttp (Node's parser, in C) parses them, and the app's
answer is computed at once (`PrimeApp.answer`): a table answer is written before
`data_received` returns, with no task and no thread hop. Only an answer that awaits (the
compute pool) becomes a task, so heavy n still never holds the loop.

The limits the service promises are the core's own here, where granian's hyper enforced
them before: request target over 65,534 bytes -> 414; more than 100 header fields, or a
head over twice `--max-header-bytes` -> 431 (the app answers a 431 problem at the value
itself); a malformed request -> a bare 400, then close; `--header-timeout` for every head
(an idle keep-alive connection included); `--max-connections` per worker (accepting stops
at the cap, so further clients wait in the listen backlog). Bodies of GETs are not awaited:
the answer goes out when the head is complete, and llhttp discards the body after it.
Answers leave in request order (pipelining), also when an earlier one waits for the pool.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from collections.abc import Coroutine, Generator
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httptools

if TYPE_CHECKING:
    from primebench.service.app import Answer, Headers, PrimeApp

__all__ = ["MAX_FIELDS", "MAX_TARGET", "Core"]

log = logging.getLogger("primebench.service")

MAX_TARGET = 65_534  # bytes of request target, as hyper allows (414 past it)
MAX_FIELDS = 100  # header fields per request, as hyper allows (431 past it)
_ACCEPT_BATCH = 64  # connections accepted per wake-up, so one burst cannot starve answers
_ACCEPT_RETRY_S = 0.1  # after EMFILE/ENFILE: accept again this much later
_BAD = b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_HEADS_KEPT = 256  # encoded status lines and header blocks kept (a few per route)
_TARGETS_KEPT = 1024  # split request targets kept, each at most _TARGET_KEPT_BYTES
_TARGET_KEPT_BYTES = 64
# Pipelined requests read ahead of their answers: past this, reading pauses until the
# answers are written, so a client that sends without reading cannot grow a worker's memory.
MAX_PIPELINED = 64
_FRAMING = (b"content-length", b"transfer-encoding")  # both in one request: close after it


def _bare(status: int) -> bytes:
    return _BAD % (status, HTTPStatus(status).phrase.encode())


class Refused(Exception):
    """A request the core answers itself, with a bare status, before the app sees it."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Reply:
    """One request's place in its connection's answer order; the app's `proto`."""

    __slots__ = ("close", "conn", "data", "head_only")

    def __init__(self, conn: Connection, head_only: bool, close: bool) -> None:
        self.conn = conn
        self.head_only = head_only
        self.close = close
        self.data: bytes | None = None

    def response_bytes(self, status: int, headers: Headers, body: bytes) -> None:
        core = self.conn.core
        self.close = self.close or core.app.draining
        self.data = core.encode((status, headers, body), self.head_only, self.close)
        self.conn.flush()


class Connection(asyncio.Protocol):
    """One client connection: parse, hand each complete head to the app, write in order."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.parser.set_dangerous_leniencies(lenient_chunked_length=True)
        self.url = b""
        self.head_bytes = 0  # the header fields' bytes as on the wire (`name: value\r\n` each)
        self.field_count = 0
        self.hosts = 0  # Host fields seen (the app answers 400 unless exactly one)
        self.framing = 0  # Content-Length and Transfer-Encoding fields seen (both: close after)
        self.replies: deque[Reply] = deque()
        self.waiting_since: int | None = 0  # the core's tick when a head was first awaited
        self.done = False  # no more requests are read (an error, or `Connection: close`)
        self.in_body = False  # a head was answered and its body is being read (and dropped)
        self.writes_paused = False  # the transport's write buffer is past its high mark
        self.reads_paused = False  # MAX_PIPELINED answers are waiting

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.waiting_since = self.core.tick
        self.core.opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.done = True
        self.core.closed(self)

    def data_received(self, data: bytes) -> None:
        if self.done:
            return
        if not data.isascii() and not self.in_body and not self.field_count:
            data = _escape_request_line(data)  # still in a request line: no field seen yet
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:  # raised in a callback: `Refused`
            cause = error.__context__
            self.refuse(cause.status if isinstance(cause, Refused) else 400)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            if self.in_body:
                self.abandon()  # its answer is out: a bad body only ends the connection
            else:
                self.refuse(400)

    def pause_writing(self) -> None:
        """The client reads slower than we write: stop reading its requests meanwhile."""
        self.writes_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.writes_paused = False
        if self.transport is not None and len(self.replies) <= MAX_PIPELINED:
            self.transport.resume_reading()

    def eof_received(self) -> bool:
        # The client sent all it will (a half-close): answer what it asked, then close.
        self.done = True
        return bool(self.replies)

    # --- llhttp's callbacks -------------------------------------------------------------

    def on_message_complete(self) -> None:
        self.in_body = False

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > MAX_TARGET:
            raise Refused(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        # Only counted: the app needs the head's size and its Host fields, not the fields.
        self.field_count += 1
        self.head_bytes += len(name) + len(value) + 4
        if self.field_count > MAX_FIELDS or self.head_bytes + len(self.url) > self.core.max_head:
            raise Refused(431)
        size = len(name)
        if size == 4:
            if name.lower() == b"host":
                self.hosts += 1
        elif (size == 14 or size == 17) and name.lower() in _FRAMING:
            self.framing += 1

    def on_headers_complete(self) -> None:
        if self.done:
            return  # a request pipelined behind `Connection: close` or a refusal is not read
        parser = self.parser
        self.in_body = True
        hosts = self.hosts
        keep_alive = parser.should_keep_alive()
        if keep_alive and hosts == 1:
            # Only HTTP/1.0 and 1.1 keep alive, and with one Host field either passes the
            # app's Host rule: the version's string (a str.format in httptools) is not needed.
            http11 = True
        else:
            version = parser.get_http_version()
            if version != "1.1" and version != "1.0":
                raise Refused(400)  # HTTP/0.9 has no head to answer in; 2.x is not spoken here
            http11 = version == "1.1"
        method = parser.get_method().decode("latin-1")
        core = self.core
        path, query, line = core.targets.get(self.url) or core.target(self.url)
        close = not (core.keep_alive and keep_alive) or self.framing > 1
        if close:
            self.done = True  # what follows this request is not read (smuggling)
        head = len(method) + line + self.head_bytes
        # the next request's head starts here (llhttp's on_message_begin would cost a call)
        self.url = b""
        self.head_bytes = self.field_count = self.hosts = self.framing = 0
        responded = core.app.answer(method, path, query, http11, head, hosts)
        # a pooled answer's first step runs now: admission decides at arrival (a 503 needs no task)
        answer = responded if isinstance(responded, tuple) else _start(responded)
        if isinstance(answer, tuple) and not self.replies:
            # The common case: answered at once, nothing before it to wait for.
            transport = self.transport
            if transport is None or transport.is_closing():
                return
            close = close or core.app.draining
            transport.write(core.encode(answer, method == "HEAD", close))
            if close or self.done:
                transport.close()
            else:
                self.waiting_since = core.tick  # the next head's timeout starts now
            return
        self.waiting_since = None  # answers are due: no head is awaited until they are out
        reply = Reply(self, method == "HEAD", close)
        self.replies.append(reply)
        if len(self.replies) > MAX_PIPELINED and not self.reads_paused:
            self.reads_paused = True
            if self.transport is not None:
                self.transport.pause_reading()
        if isinstance(answer, tuple):
            reply.response_bytes(*answer)
        else:
            core.loop.create_task(_answer_later(reply, answer))

    # --- writing ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every answer that is ready and has no unanswered request before it."""
        replies = self.replies
        transport = self.transport
        while replies:
            data = replies[0].data
            if data is None:
                return
            reply = replies.popleft()
            if transport is None or transport.is_closing():
                continue
            transport.write(data)
            if reply.close:
                replies.clear()
                transport.close()
                return
        if self.done:
            if transport is not None:
                transport.close()
            return
        self.waiting_since = self.core.tick  # the next head's timeout starts now
        if self.reads_paused:
            self.reads_paused = False
            if transport is not None and not self.writes_paused:
                transport.resume_reading()

    def refuse(self, status: int) -> None:
        """A bare answer after every earlier one, then close: the request was not parsed."""
        self.done = True
        reply = Reply(self, False, True)
        reply.data = _bare(status)
        self.replies.append(reply)
        self.flush()

    def abandon(self) -> None:
        """Close once every answer already due is written, and answer nothing more."""
        self.done = True
        if not self.replies and self.transport is not None:
            self.transport.close()

    def timed_out(self) -> None:
        """No complete head within `--header-timeout`: closed without an answer, as hyper does."""
        if self.transport is not None:
            self.transport.close()


def _escape_request_line(data: bytes) -> bytes:
    """Percent-encode the raw non-ASCII bytes of a request line (up to its first LF).

    llhttp refuses them outright, where hyper passes them on: this way a raw UTF-8 digit in
    the target reaches the app, percent-decoded like any other, and gets its 400 problem.
    """
    end = data.find(b"\n")
    line, rest = (data, b"") if end < 0 else (data[:end], data[end:])
    return b"".join(b"%%%02X" % byte if byte > 0x7F else bytes((byte,)) for byte in line) + rest


def _target(url: bytes) -> tuple[str, str]:
    """(path percent-decoded, raw query) of an origin-form target, as granian gives them."""
    if url[:1] != b"/":
        if url == b"*":
            return "*", ""
        try:
            parsed = httptools.parse_url(url)
        except httptools.HttpParserInvalidURLError:
            raise Refused(400) from None
        raw_path, raw_query = parsed.path or b"/", parsed.query or b""
    else:
        raw_path, _, raw_query = url.partition(b"?")
    path = raw_path.decode("latin-1")
    if "%" in path or not raw_path.isascii():
        path = unquote(raw_path.decode("utf-8", "replace"), errors="replace")
    return path, raw_query.decode("latin-1")


def _start(answer: Coroutine[Any, Any, Answer]) -> Answer | _Resumed:
    """Run a pooled answer's first step now: the answer if it needs no wait (a refusal at
    arrival, a remembered answer), else the coroutine and the future it waits on.

    A task would run that first step only after every other callback ready on the loop, so
    under a flood a refusal the admission decides at once would still wait its turn.
    """
    try:
        waits_on = answer.send(None)
    except StopIteration as done:
        result: Answer = done.value
        return result
    return _Resumed(answer, waits_on)


async def _answer_later(reply: Reply, rest: _Resumed) -> None:
    """The rest of an answer that waits for the compute pool, written in its turn."""
    reply.response_bytes(*await rest)


class _Resumed:
    """Awaits, inside a task, a coroutine whose first step ran outside it (`_start`).

    The future it yielded is yielded again from the task, which waits for it as if the
    coroutine had run there from the start; then the coroutine goes on inside the task.
    """

    __slots__ = ("coro", "waits_on")

    def __init__(self, coro: Coroutine[Any, Any, Answer], waits_on: Any) -> None:
        self.coro = coro
        self.waits_on = waits_on

    def __await__(self) -> Generator[Any, None, Answer]:
        coro, waits_on = self.coro, self.waits_on
        while True:
            try:
                yield waits_on
            except BaseException as exc:  # noqa: BLE001 - cancelled or thrown in: the coroutine decides
                try:
                    waits_on = coro.throw(exc)
                except StopIteration as done:
                    result: Answer = done.value
                    return result
                continue
            try:
                waits_on = coro.send(None)
            except StopIteration as done:
                result = done.value
                return result


class Core:
    """One worker's server: the listener, its connections, the timers that police them."""

    def __init__(
        self,
        app: PrimeApp,
        listener: socket.socket,
        loop: asyncio.AbstractEventLoop,
        *,
        max_connections: int,
        header_timeout_s: float,
        max_head_bytes: int,
        keep_alive: bool,
    ) -> None:
        self.app = app
        self.loop = loop
        self.listener = listener
        self.max_connections = max_connections
        self.max_head = max_head_bytes
        self.keep_alive = keep_alive
        self.connections: set[Connection] = set()
        self.heads: dict[tuple[Any, ...], bytes] = {}
        # (path, query, request line's size but the method) of recent request targets: a
        # repeated target is split and decoded once (`target`); bounded like `heads`, and
        # only short targets are kept
        self.targets: dict[bytes, tuple[str, str, int]] = {}
        self.tick = 0
        # The header timeout is checked every tick: a connection is cut within one tick of it.
        self.tick_s = max(0.02, min(0.5, header_timeout_s / 10))
        self.timeout_ticks = max(1, round(header_timeout_s / self.tick_s))
        self.date = b""
        self._date_at = 0
        self._last_headers: Headers | None = None
        self._last_status = 0
        self._last_head = b""
        self._accepting = False
        self._stopping = False
        self._stopped: asyncio.Future[None] | None = None

    # --- accepting ----------------------------------------------------------------------

    def start(self) -> None:
        self.listener.setblocking(False)
        self._on_tick()
        self._resume_accepting()

    def _resume_accepting(self) -> None:
        if not self._accepting and not self._stopping:
            self._accepting = True
            self.loop.add_reader(self.listener.fileno(), self._accept)

    def _pause_accepting(self) -> None:
        if self._accepting:
            self._accepting = False
            self.loop.remove_reader(self.listener.fileno())

    def _accept(self) -> None:
        for _ in range(_ACCEPT_BATCH):
            if len(self.connections) >= self.max_connections:
                self._pause_accepting()  # the rest wait in the listen backlog
                return
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # EMFILE, ENFILE, ENOBUFS: try again shortly
                log.warning("accept failed: %s; retrying in %.1f s", error, _ACCEPT_RETRY_S)
                self._pause_accepting()
                self.loop.call_later(_ACCEPT_RETRY_S, self._resume_accepting)
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(self)
            self.connections.add(conn)  # counted from accept, so the cap holds in a burst
            self.loop.create_task(self._connect(sock, conn))

    async def _connect(self, sock: socket.socket, conn: Connection) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: conn, sock)
        except OSError:
            sock.close()
            self.closed(conn)

    def opened(self, conn: Connection) -> None:
        # Already counted at accept; again here for one made after `stop` dropped it early.
        self.connections.add(conn)

    def closed(self, conn: Connection) -> None:
        self.connections.discard(conn)
        if self._stopping:
            if not self.connections and self._stopped is not None and not self._stopped.done():
                self._stopped.set_result(None)
        elif not self._accepting and len(self.connections) < self.max_connections:
            self._resume_accepting()

    # --- timers -------------------------------------------------------------------------

    def _on_tick(self) -> None:
        self.tick += 1
        now = int(time.time())
        if now != self._date_at:
            self._date_at = now
            self.date = b"date: %s\r\n" % formatdate(now, usegmt=True).encode()
        expired = self.tick - self.timeout_ticks
        for conn in [c for c in self.connections if c.waiting_since is not None]:
            if conn.waiting_since is not None and conn.waiting_since <= expired:
                conn.timed_out()
        self.loop.call_later(self.tick_s, self._on_tick)

    # --- answers ------------------------------------------------------------------------

    def target(self, url: bytes) -> tuple[str, str, int]:
        """`targets`' entry for a target not in it, remembered there if the target is short.

        The request line's size counts the target as the app sees it (the path decoded), as
        on granian: `method SP path ["?" query] SP "HTTP/1.1" CRLF`, with the head's final
        CRLF (app._head_size), all but the method.
        """
        path, query = _target(url)
        parts = path, query, len(path) + len(query) + 15
        if len(url) <= _TARGET_KEPT_BYTES:
            if len(self.targets) >= _TARGETS_KEPT:
                self.targets.clear()
            self.targets[url] = parts
        return parts

    def encode(self, answer: Answer, head_only: bool, close: bool) -> bytes:
        """An answer as sent: status line, the app's fields, date, length, the body."""
        status, headers, body = answer
        if headers is self._last_headers and status == self._last_status:
            head = self._last_head  # the same constant list as the answer before (the floor)
        else:
            head = self.heads.get((status, *headers)) or self.encode_head(status, headers)
            self._last_headers, self._last_status, self._last_head = headers, status, head
        if close and not self.app.draining:  # draining: the app's headers already say it
            head += b"connection: close\r\n"
        return b"%s%scontent-length: %d\r\n\r\n%s" % (
            head,
            self.date,
            len(body),
            b"" if head_only else body,
        )

    def encode_head(self, status: int, headers: Headers) -> bytes:
        """The status line and the app's header fields, encoded once per distinct set."""
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, HTTPStatus(status).phrase.encode())]
        lines += [b"%s: %s\r\n" % (k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        head = b"".join(lines)
        if len(self.heads) >= _HEADS_KEPT:
            self.heads.clear()
        self.heads[(status, *headers)] = head
        return head

    # --- stopping -----------------------------------------------------------------------

    async def stop(self, grace_s: float) -> None:
        """Stop accepting, close idle connections, let answers in flight finish (grace)."""
        self._stopping = True
        self._pause_accepting()
        self.listener.close()
        self._stopped = self.loop.create_future()
        for conn in list(self.connections):
            if not conn.replies:
                conn.done = True
                if conn.transport is not None:
                    conn.transport.close()
                else:
                    self.connections.discard(conn)
            else:
                conn.done = True  # closed once its answers are written
        if self.connections:
            try:
                await asyncio.wait_for(asyncio.shield(self._stopped), grace_s)
            except TimeoutError:
                log.warning(
                    "%d connections still busy after the grace period", len(self.connections)
                )
