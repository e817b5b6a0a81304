"""The one error the CLI maps to an exit code: a mistake the user can fix."""

from __future__ import annotations

__all__ = ["UserError"]


class UserError(Exception):
    """A bad setting, an unknown name or an unreadable file: exit 1 with this message only."""
