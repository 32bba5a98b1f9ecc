"""`voicecoach bench`: latency, speed and memory on this machine, as JSON (the lab's bench)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "bench"
HELP = "measure latency, speed and memory; prints JSON"
EXAMPLES = [
    "voicecoach bench --quick",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="shorter idle measurement, fewer clips")
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="development speech for the transcription and turn-end comparisons "
        "(default ../shared/dev-audio when it exists)",
    )


def main(args: argparse.Namespace) -> int:
    from voicecoach.lab.bench import run_bench

    print(json.dumps(run_bench(quick=args.quick, data=args.data), indent=2))
    return 0
