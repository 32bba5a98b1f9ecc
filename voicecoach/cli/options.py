"""Argument types and option groups shared by several commands."""

from __future__ import annotations

import argparse


def partners(text: str) -> tuple[str, str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise argparse.ArgumentTypeError("give two different names, e.g. --partners Alex,Sam")
    return names[0], names[1]


def enroll(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError("use NAME=FILE, e.g. --enroll Alex=alex.wav")
    return name, path


def country(text: str) -> str:
    from voicecoach.dialogue.helpinfo import country_code
    from voicecoach.errors import UserError

    try:
        return country_code(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_session_options(p: argparse.ArgumentParser) -> None:
    # Defaults are None: unset flags take the settings file's value (`voicecoach config`).
    p.add_argument("--model", help="Whisper model: base (default) or tiny.en")
    p.add_argument("--voice", help="the coach's Piper voice (default en_US-joe-medium)")
    p.add_argument("--script", default="session", help="dialogue script to start (default session)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--no-report", action="store_true", help="do not write report.html at the end")
    p.add_argument(
        "--country",
        type=country,
        help="where the couple lives, for the help information shown if someone is not safe: "
        "US, CA, GB, IE, AU, NZ, DE or INT (default: from the system locale, else INT)",
    )
    p.add_argument(
        "--speak-help",
        action="store_true",
        help="also read the help information aloud (off: it is shown on screen only)",
    )


def add_profile_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile-dir",
        help="where voice profiles are kept (default: $VOICECOACH_PROFILE_DIR, else "
        "~/.local/share/voicecoach/profiles)",
    )
