"""The HTTP edge of primebench: settings, parsing, errors, metrics, the pool and the RSGI app."""

from primebench.service.settings import Settings

__all__ = ["Settings"]
