"""A worker's own listening socket, seen from Python: refuse new connections, count the queue.

granian creates each worker's listener in Rust (on Linux one SO_REUSEPORT socket per
worker), so Python holds no handle to it; it is found among this process's descriptors.
Closing a listener resets every connection the kernel completed but nobody accepted yet,
so a drain that closes it while clients still connect drops requests that were sent
(issue 20). The drain therefore first stops new handshakes and lets the accept queue
empty, then closes.

New handshakes are stopped with a classic BPF socket filter that drops TCP segments with
the SYN flag: a new client's SYN is dropped (it retries, and meets a closed port once the
worker has stopped, so none of its bytes were ever sent), while the final ACK of a
handshake already under way, and every segment of an accepted connection, still pass.
"""

from __future__ import annotations

import ctypes
import os
import socket
import stat
import struct

__all__ = ["accept_queue_length", "listeners", "refuse_new_connections"]

_SO_ATTACH_FILTER = 26  # linux/asm-generic/socket.h
_TCP_INFO_UNACKED = 24  # offset of tcpi_unacked: the accept queue's length on a listener
_TCP_FLAGS_OFFSET = 13  # in the TCP header, where a socket filter's packet data starts
_SYN = 0x02


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


# ldb [13]; jset #SYN, drop, keep; drop: ret #0; keep: ret #0xffffffff
_DROP_SYN = (
    (0x30, 0, 0, _TCP_FLAGS_OFFSET),  # BPF_LD | BPF_B | BPF_ABS
    (0x45, 0, 1, _SYN),  # BPF_JMP | BPF_JSET | BPF_K
    (0x06, 0, 0, 0),  # BPF_RET | BPF_K: drop
    (0x06, 0, 0, 0xFFFFFFFF),  # BPF_RET | BPF_K: the whole packet
)


def listeners(port: int) -> list[socket.socket]:
    """This process's listening TCP sockets on `port`, as duplicates (the caller closes them)."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        sock = _listening_socket(int(name), port)
        if sock is not None:
            found.append(sock)
    return found


def _listening_socket(fd: int, port: int) -> socket.socket | None:
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            return None
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return None
    try:
        if (
            sock.family in (socket.AF_INET, socket.AF_INET6)
            and sock.type == socket.SOCK_STREAM
            and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            and sock.getsockname()[1] == port
        ):
            return sock
    except OSError:
        pass
    sock.close()
    return None


def refuse_new_connections(sock: socket.socket) -> None:
    """Drop every new SYN on this listener; handshakes under way and accepted connections go on."""
    program = (_SockFilter * len(_DROP_SYN))(*(_SockFilter(*op) for op in _DROP_SYN))
    fprog = _SockFprog(len(_DROP_SYN), ctypes.cast(program, ctypes.POINTER(_SockFilter)))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, bytes(fprog))


def accept_queue_length(sock: socket.socket) -> int:
    """Connections the kernel completed that nobody has accepted yet (Linux TCP_INFO)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("I", info, _TCP_INFO_UNACKED)[0])
