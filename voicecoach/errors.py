"""Errors that are the user's to fix: the CLI prints them as one clear message, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (a missing device, model, file or a broken script).

    The message must say what is wrong and what to do about it.
    """
