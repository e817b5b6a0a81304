"""No orphans: a worker or pool process ends when the process that started it dies.

Linux's parent-death signal (prctl PR_SET_PDEATHSIG) is delivered by the kernel the
moment the parent exits, however it exits (kill -9 included), and needs no thread in
the child: a pool process stuck in primecount, which holds the GIL, is killed all the
same. Without it, workers of a main process killed with -9 were re-parented and kept the
port for more than a minute, so a restart could not bind.

The signal follows the parent *thread* that forked the child: granian forks its workers
from its main thread, and a forkserver from its only thread, so that is the process.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(
    expected_parent: int | None = None, sig: signal.Signals = signal.SIGKILL
) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies; False if it cannot.

    Exits at once if the parent is already gone: re-parented before the call took effect
    (the parent is no longer `expected_parent`, or changed during the call).
    """
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if os.getppid() != parent or (expected_parent is not None and parent != expected_parent):
        os._exit(1)
    return True
