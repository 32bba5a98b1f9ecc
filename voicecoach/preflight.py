"""Checks made before a session listens: every mistake that can be found at the start is
found there, as one sentence (a UserError), never after an evening of listening.

Each check is cheap and touches nothing the session would not touch anyway (the output
file is created by its sink, the session directory by the log).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from voicecoach.errors import UserError

MAX_NAME_CHARS = 30
"""A partner's name is spoken by the coach and shown on screen: a first name or nickname,
not a paragraph."""

_NAME_PUNCTUATION = set(" -'’.")


def check_name(name: str) -> str:
    """``name`` stripped, if it is a name the coach can say: 1-30 characters of letters
    (any script), digits, spaces, hyphens, apostrophes and dots, with at least one letter."""
    name = name.strip()
    shown = name if len(name) <= 40 else name[:37] + "..."
    if not name:
        raise UserError("A partner's name is empty: give two names, e.g. --partners Alex,Sam.")
    if len(name) > MAX_NAME_CHARS:
        raise UserError(
            f"The name {shown!r} is {len(name)} characters long: give a first name or "
            f"nickname of at most {MAX_NAME_CHARS}."
        )
    bad = sorted(
        {c for c in name if c not in _NAME_PUNCTUATION and unicodedata.category(c)[0] not in "LMN"}
    )
    if bad:
        chars = " ".join(repr(c) for c in bad)
        raise UserError(
            f"The name {shown!r} contains {chars}: use letters, digits, spaces, "
            "hyphens, apostrophes or dots."
        )
    if not any(unicodedata.category(c)[0] == "L" for c in name):
        raise UserError(f"The name {shown!r} has no letter: give a name the coach can say.")
    return name


def check_partners(names: tuple[str, str]) -> tuple[str, str]:
    a, b = check_name(names[0]), check_name(names[1])
    if a.casefold() == b.casefold():
        raise UserError(f"Both partners are called {a!r}: give two different names.")
    return a, b


def check_output(path: str | Path, input_path: str | Path | None = None) -> Path:
    """The coach's WAV: not a directory, not the recording being coached, ends in .wav,
    and its folder can be written (the file itself is created by the sink)."""
    out = Path(path).expanduser()
    if out.is_dir() or str(path).endswith(os.sep):
        raise UserError(f"--output {path} is a directory: give a file name, e.g. {out}/coach.wav.")
    if out.suffix.lower() != ".wav":
        raise UserError(f"--output {path} must end in .wav (the coach's voice is written as WAV).")
    if input_path is not None and out.exists():
        try:
            same = out.samefile(input_path)
        except OSError:
            same = False
        if same:
            raise UserError(
                f"--output {path} is the recording given to --input: it would be overwritten."
            )
    folder = _existing_parent(out)
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UserError(f"Cannot write --output {path}: {folder} is not writable for you.")
    return out


def check_log_base(path: Path) -> Path:
    """The folder that holds the session folders: a directory (or creatable) and writable."""
    if path.exists() and not path.is_dir():
        raise UserError(f"The log folder {path} is a file: give a directory with --log-dir.")
    folder = _existing_parent(path) if not path.exists() else path
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"Cannot write session logs in {path}: {folder} is not writable for you.")
    return path


def _existing_parent(path: Path) -> Path:
    p = path.absolute().parent
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir():
        raise UserError(f"Cannot create {path}: {p} is a file, not a folder.")
    return p
