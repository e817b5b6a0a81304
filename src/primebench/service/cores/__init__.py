"""Other server cores for the same service: granian WSGI and fastpysgi (WSGI, ASGI).

The default core stays granian RSGI (`primebench serve`); these exist so the lab can
measure what each core costs at the floor and what the hostile-input suite says about it
(issue 18; docs/RELIABILITY.md, "Other server cores"). Each one runs `PrimeApp` itself, so
routes, validation, problem+json errors, the Host check, the table and the pool are the
service's own; `bridge` adapts the core's request to the app's scope.
"""

from __future__ import annotations

__all__ = ["CORES"]

CORES = ("granian-wsgi", "fastpysgi-wsgi", "fastpysgi-asgi")
