"""The machine the lab runs on: processes (the one place subprocesses are started and
stopped), servers and tool runs started through it, the loopback HTTP client (the one
place sockets are opened), CPU pinning and resource sampling, machine facts, and
disturbance from other work.

Imports only the model; contenders and run build on it, the report never touches it.
"""
