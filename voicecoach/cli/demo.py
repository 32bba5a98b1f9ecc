"""`voicecoach demo`: a whole simulated session, no microphone needed."""

from __future__ import annotations

import argparse

from voicecoach.cli.options import add_session_options

NAME = "demo"
HELP = "play a whole simulated session (no microphone needed)"
EXAMPLES = [
    "voicecoach demo --out voicecoach-demo",
    "voicecoach demo --out unsafe-demo --scenario unsafe",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="voicecoach-demo", help="folder for session.wav, events.jsonl")
    p.add_argument("--scenario", default="heated", help="scenario name or YAML file")
    add_session_options(p)


def main(args: argparse.Namespace) -> int:
    from voicecoach.demo.runner import run_demo_cli

    return run_demo_cli(args)
