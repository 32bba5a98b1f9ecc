"""`voicecoach report`: a session's log as a page for the couple (HTML + PNG)."""

from __future__ import annotations

import argparse

NAME = "report"
HELP = "write a session's report (report.html + report.png beside its events.jsonl)"
EXAMPLES = [
    "voicecoach report voicecoach-demo",
    "voicecoach report ~/.local/share/voicecoach/sessions/20261207-210000",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session_dir", metavar="SESSION_DIR", help="folder holding events.jsonl")


def main(args: argparse.Namespace) -> int:
    from voicecoach.report import write_report

    print(write_report(args.session_dir))
    return 0
