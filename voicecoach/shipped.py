"""Where the shipped dialogue scripts and voices are, and where the user's own go.

In the repository they stay in the top-level ``scripts/`` and ``voices/`` folders (easy to
read and edit); an installed wheel carries them as package data in
``voicecoach/share/scripts`` and ``voicecoach/shipped/voices`` (see setup.py). The
user's own, in the config folder, override shipped ones of the same name.
"""

from __future__ import annotations

from pathlib import Path

import voicecoach

PACKAGE = Path(voicecoach.__file__).resolve().parent


def shipped_dir(kind: str) -> Path:
    """``kind`` is "scripts" or "voices"."""
    installed = PACKAGE / "share" / kind
    if installed.is_dir():
        return installed
    return PACKAGE.parent / kind  # a source checkout (also an editable install)


def user_dir(kind: str) -> Path:
    from voicecoach.config import config_dir

    return config_dir() / kind
