"""`voicecoach run`: listen on the microphone (or a recording) and coach."""

from __future__ import annotations

import argparse

from voicecoach.cli.options import add_profile_dir, add_session_options, enroll, partners

NAME = "run"
HELP = "listen on the microphone (or a recording) and coach"
EXAMPLES = [
    "voicecoach run",
    'voicecoach run --partners Alex,Sam --device "USB"',
    "voicecoach run --input talk.wav --output coach.wav --no-report",
    "voicecoach run --model tiny.en --quiet",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", help="a recording (WAV, FLAC, MP3, OGG...) instead of the microphone")
    p.add_argument("--output", help="write the coach's voice to this WAV instead of the speakers")
    p.add_argument("--device", help="microphone: name (or part of it) or index")
    p.add_argument("--output-device", help="speakers: name (or part of it) or index")
    p.add_argument(
        "--partners",
        type=partners,
        default=None,
        help="two names, e.g. Alex,Sam (default: the --enroll names, else settings); a "
        "partner with a saved voice profile is not asked to enrol",
    )
    p.add_argument(
        "--enroll",
        type=enroll,
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="learn a partner's voice from a recording, for this session only (repeatable; "
        "the names are then the partners); with --input, the input is then taken to be the "
        "couple alone (no coach in it) and is heard whole, even while the coach speaks",
    )
    p.add_argument(
        "--no-adapt",
        action="store_true",
        help="leave saved voice profiles as they are (by default they adapt slowly)",
    )
    p.add_argument(
        "--log-dir",
        help="folder for the session folders: each session writes <time>/events.jsonl in it "
        "(default: the log_dir setting, ~/.local/share/voicecoach/sessions)",
    )
    p.add_argument(
        "--aec", choices=["on", "off"], default="on", help="cancel the coach's own echo (mic only)"
    )
    add_profile_dir(p)
    add_session_options(p)


def main(args: argparse.Namespace) -> int:
    from voicecoach.app import run_session

    return run_session(args)
