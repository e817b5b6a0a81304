"""A table of the first primes: O(1) p(n) for small n, ready in milliseconds at start-up.

The first SHIPPED_COUNT primes ship in the package as a plain little-endian u32 file
(shipped/, written by the wheel's build hook, hatch_build.py), so a fresh install, a new
pod, never sieves: a table of up to SHIPPED_COUNT primes is a prefix of that file, mapped
after checking its header and CRC (~2 ms). A larger table is built once by a bytearray
sieve (~0.4 s for 10^6 primes) and kept in the same format in a cache directory; later
start-ups map that file. A shipped file that is missing (a source checkout whose build hook
has not run) or corrupt falls back to the cache and the sieve; a corrupt one says so.
A mapped file is also shared by every worker process through the page cache, so N
workers hold one copy. If the cache cannot be read or written, the table lives in memory,
and one line on stderr says why. Whatever sits at the cache path (a FIFO, a socket, a
device, a symlink to one, an unreadable directory) or a full disk must not block or fail
start-up: the file is opened with O_NONBLOCK and O_NOFOLLOW and checked to be a regular
file (fstat) before it is read, and a non-regular file is never replaced.
"""

from __future__ import annotations

import array
import itertools
import math
import mmap
import os
import stat
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SHIPPED_COUNT",
    "SHIPPED_PATH",
    "PrimeTable",
    "default_cache_dir",
    "sieve_primes",
    "upper_bound_nth_prime",
    "write_table_file",
]

_MAGIC = b"PBPT0001"
_HEADER = struct.Struct("<8sQI")  # magic, count, crc32 of the data

# The service's default --table-size: 4 MB in the package, mapped, never decoded. (A
# zlib-compressed gap file would be ~0.55 MB but costs ~0.11 s to decode at every start.)
SHIPPED_COUNT = 1_000_000
SHIPPED_PATH = Path(__file__).parent / "shipped" / f"primes-{SHIPPED_COUNT}.u32"


def upper_bound_nth_prime(n: int) -> int:
    """An x with p(n) <= x: Rosser's bound n(ln n + ln ln n), valid for n >= 6."""
    if n < 6:
        return 13
    log_n = math.log(n)
    return int(n * (log_n + math.log(log_n))) + 1


_COLLECT_SLICE = 1 << 20


def sieve_primes(limit: int) -> bytes:
    """All primes <= limit as little-endian u32 bytes, by an odd-only bytearray sieve.

    In the sieve, index i stands for the odd number 2i+1. Pure Python on purpose: the
    crossing-off is slice assignment (C speed), and the collection is `itertools.compress`
    into an `array`, so for 10^6 primes it is as fast as the numpy sieve it replaced
    (0.41 s against 0.63 s with numpy's import, measured beside other work), and the service
    needs no numpy (~60 MB of the image).
    """
    if limit < 2:
        return b""
    size = limit // 2 + 1
    is_odd_prime = bytearray([1]) * size
    is_odd_prime[0] = 0  # 1 is not prime
    if limit % 2 == 0:
        is_odd_prime[-1] = 0  # index limit//2 stands for limit+1
    for i in range(1, (math.isqrt(limit) - 1) // 2 + 1):
        if is_odd_prime[i]:
            p = 2 * i + 1
            start = p * p // 2
            is_odd_prime[start::p] = bytes(len(range(start, size, p)))
    primes = array.array("I", [2])
    if primes.itemsize != 4:  # pragma: no cover - "I" is 32 bits on every platform we run
        raise RuntimeError("primebench's table needs a 32-bit array type")
    # In slices, so that a signal (SIGTERM during start-up) is handled between them: one
    # compress over a 10^7-prime table runs for seconds in C, where no handler can run.
    for lo in range(0, size, _COLLECT_SLICE):
        hi = min(lo + _COLLECT_SLICE, size)
        primes.extend(itertools.compress(range(2 * lo + 1, 2 * hi, 2), is_odd_prime[lo:hi]))
    if sys.byteorder != "little":  # pragma: no cover - the file format is little-endian
        primes.byteswap()
    return primes.tobytes()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "primebench"


@dataclass(frozen=True, eq=False)
class PrimeTable:
    """The first `len(self)` primes. `nth` is one index into a read-only u32 memoryview."""

    view: memoryview

    @classmethod
    def build(
        cls, count: int, cache_dir: Path | None = None, shipped: Path | None = SHIPPED_PATH
    ) -> PrimeTable:
        """Map the shipped table (count <= SHIPPED_COUNT) or the cached one, or sieve and cache.

        `shipped` None skips the shipped file (tests of the cache and the sieve).
        Cost: ~2 ms mapped, ~0.4 s built.
        """
        if count < 1:
            raise ValueError(f"table size must be >= 1, got {count}")
        if shipped is not None and count <= SHIPPED_COUNT:
            view = _shipped(shipped)
            if view is not None:
                return cls(view[:count])
        path = (cache_dir or default_cache_dir()) / f"primes-{count}.u32"
        cached, why = _load(path, count)
        if cached is not None:
            return cls(cached)
        data = sieve_primes(upper_bound_nth_prime(count))[: 4 * count]
        if why is None:  # absent or stale: write it; a non-regular file is left alone
            why = _store(path, count, data)
        if why is not None:
            print(
                f"primebench: table cache {path}: {why}; the table is built in memory",
                file=sys.stderr,
                flush=True,
            )
        return cls(_as_u32(data))

    def __len__(self) -> int:
        return len(self.view)

    def nth(self, n: int) -> int:
        """p(n) for 1 <= n <= len(self); O(1)."""
        if not 1 <= n <= len(self.view):
            raise ValueError(f"n must be between 1 and {len(self.view)} for this table, got {n}")
        return int(self.view[n - 1])


def write_table_file(path: Path, count: int) -> None:
    """Sieve the first `count` primes into `path` in the table format, unless it holds them.

    The wheel's build hook (hatch_build.py) calls it to make the shipped table, so the
    file is made by the same code that reads it, and checked by the same CRC.
    """
    view, _ = _load(path, count)
    if view is None:
        why = _store(path, count, sieve_primes(upper_bound_nth_prime(count))[: 4 * count])
        if why is not None:
            raise OSError(f"{path}: {why}")
    # Readable by the service's own user, whoever installed it (the temp file was 0600).
    path.chmod(0o644)


def _shipped(path: Path) -> memoryview | None:
    """The shipped table, or None (and one stderr line if it is there but unusable)."""
    view, why = _load(path, SHIPPED_COUNT)
    if view is not None:
        return view
    if why is None and not os.path.lexists(path):
        return None  # a source checkout whose build hook has not run: the cache serves
    print(
        f"primebench: shipped table {path}: {why or 'corrupt (size, header or CRC)'}; "
        "using the table cache instead",
        file=sys.stderr,
        flush=True,
    )
    return None


def _as_u32(data: bytes | memoryview) -> memoryview:
    view = memoryview(data).cast("B").cast("I")
    if sys.byteorder != "little":  # pragma: no cover - the file format is little-endian
        raise RuntimeError("primebench's table format assumes a little-endian machine")
    return view.toreadonly()


def _load(path: Path, count: int) -> tuple[memoryview | None, str | None]:
    """(the mapped table, None), or (None, why the cache cannot be used at all).

    (None, None) means "absent or stale: rebuild and write it". O_NONBLOCK keeps open()
    from waiting for a FIFO's writer; O_NOFOLLOW refuses a symlink (to /dev/zero, say);
    fstat + S_ISREG refuses sockets, devices and directories before anything is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None, None
    except OSError as error:  # ELOOP (symlink), EACCES, ENOTDIR, ENXIO (socket), ...
        return None, f"cannot be opened ({error.strerror or error})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, f"is not a regular file (mode {stat.filemode(info.st_mode)})"
        if info.st_size != _HEADER.size + 4 * count:
            return None, None
        try:
            mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            return None, f"cannot be mapped ({error})"
    finally:
        os.close(fd)
    if len(mapped) != _HEADER.size + 4 * count:
        return None, None
    magic, stored_count, crc = _HEADER.unpack_from(mapped)
    data = memoryview(mapped)[_HEADER.size :]
    if magic != _MAGIC or stored_count != count or zlib.crc32(data) != crc:
        return None, None
    return _as_u32(data), None


def _store(path: Path, count: int, data: bytes) -> str | None:
    """Write atomically (temp file + rename), so a concurrent reader never sees half a table.

    Returns why it could not (read-only or full disk, unreadable directory): the table then
    stays in memory. A temp file left by a failed write is removed.
    """
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp_name = tmp.name
            tmp.write(_HEADER.pack(_MAGIC, count, zlib.crc32(data)))
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())  # ENOSPC shows here at the latest, not after the rename
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as error:
        return f"cannot be written ({error.strerror or error})"
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return None
