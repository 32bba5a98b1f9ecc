"""`voicecoach analyze`: who spoke when, raised voices and interruptions in a file."""

from __future__ import annotations

import argparse
import json

from voicecoach.cli.options import enroll

NAME = "analyze"
HELP = "who spoke when, raised voices and interruptions in a file"
EXAMPLES = [
    "voicecoach analyze talk.wav",
    "voicecoach analyze talk.wav --enroll Alex=alex.wav --enroll Sam=sam.wav --json",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("audio")
    p.add_argument("--calibration", help="calm speech of the (single) expected voice")
    p.add_argument("--enroll", type=enroll, action="append", default=[], metavar="NAME=FILE")
    p.add_argument("--json", action="store_true", help="print JSON")


def main(args: argparse.Namespace) -> int:
    from voicecoach.perception.analyze import analyze, format_report
    from voicecoach.preflight import check_name
    from voicecoach.progress import Progress, media_seconds

    enroll = {check_name(name): path for name, path in args.enroll}
    bar = Progress(f"Analysing {args.audio}", media_seconds(args.audio))
    result = analyze(
        args.audio, calibration=args.calibration, enroll=enroll or None, progress=bar.update
    )
    bar.close()
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0
