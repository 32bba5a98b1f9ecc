"""`voicecoach doctor`: check devices, models, settings and profiles; say how to fix."""

from __future__ import annotations

import argparse

NAME = "doctor"
HELP = "check the setup (sound, microphone level, models, disk, settings) and how to fix it"
EXAMPLES = [
    "voicecoach doctor",
    "voicecoach doctor --no-mic",
    "voicecoach doctor --satellite tcp://192.168.1.20:10700",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-mic", action="store_true", help="skip the 3-second microphone check")
    p.add_argument(
        "--satellite",
        metavar="tcp://HOST:PORT",
        help="also check a Wyoming satellite (as `voicecoach serve --satellite` uses it)",
    )


def main(args: argparse.Namespace) -> int:
    from voicecoach.doctor import broken, format_checks, run_checks

    checks = run_checks(mic=not args.no_mic, satellite=args.satellite)
    print(format_checks(checks))
    if broken(checks):
        print("\nSomething needs fixing before voicecoach can coach (see 'fix' above).")
        return 1
    print("\nAll set.")
    return 0
