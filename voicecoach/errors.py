"""Errors that are the user's to fix: the CLI prints them as one clear message, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (a missing device, model, file or a broken script).

    The message must say what is wrong and what to do about it.
    """


class DeviceLost(UserError):
    """A microphone or speaker went away mid-session and did not come back in time.

    ``reason`` is the short text the session log's end record gives ("microphone lost").
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
