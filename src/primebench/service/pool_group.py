"""Imported first by the compute pool's forkserver as a preload, and by nothing else: it
moves the forkserver, and so every pool process it forks, into a process group of its own.

A SIGTERM to the service's whole process group (as `timeout` and some supervisors send
it) starts the main process's drain, which lets admitted heavy requests finish; if the
same signal killed the forkserver and the pool processes, those requests would fail
mid-drain (issue 20). Out of the group they are still stopped on every path: by their
worker's pool at a clean stop, by pebble per job at a deadline (by pid), and by the
parent-death signal when their worker dies (service/lifeline.py). They stay in the
service's session, so `kill` by session still reaches them.
"""

from __future__ import annotations

import os

os.setpgid(0, 0)
