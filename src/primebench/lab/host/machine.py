"""The machine a bench ran on, recorded in every results document.

A req/s figure means nothing without the CPU, the number of cores it had, the kernel
and the runtimes; the article's table omitted all of that. Read from /proc and the
standard library only, so it costs nothing and works without extra tools.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import psutil

from primebench.lab.model.bench_records import Machine

__all__ = ["describe"]


def _cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _os_name(os_release: Path = Path("/etc/os-release")) -> str:
    try:
        for line in os_release.read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def describe() -> Machine:
    """CPU model, logical cores (all and usable by this process), memory, OS, kernel, Python."""
    return Machine(
        cpu_model=_cpu_model(),
        cores=os.cpu_count() or 1,
        usable_cores=tuple(sorted(os.sched_getaffinity(0))),
        memory_bytes=int(psutil.virtual_memory().total),
        os=_os_name(),
        kernel=platform.release(),
        arch=platform.machine(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        python_executable=sys.executable,
    )
