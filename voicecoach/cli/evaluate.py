"""`voicecoach eval`: measure the detectors on a data directory (the lab's evaluate)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voicecoach.errors import UserError

NAME = "eval"
HELP = "measure the detectors on a data directory"
EXAMPLES = [
    "voicecoach eval --data ../shared/dev-audio",
    "voicecoach eval --data ../shared/dev-audio --dialogue-sets 4 --json",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="e.g. ../shared/dev-audio")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--dialogue-sets",
        type=int,
        default=1,
        choices=range(1, 5),
        metavar="N",
        help="also report N (2-4) sets of composed dialogues in aggregate (and pair each"
        " validation voice with N others)",
    )
    p.add_argument(
        "--part",
        choices=("validation", "tuning"),
        default="validation",
        help="the speakers of the composed two-partner dialogues: validation (reported) or"
        " tuning (to choose settings on)",
    )


def main(args: argparse.Namespace) -> int:
    from voicecoach.lab.evaluate import evaluate, format_eval

    data = Path(args.data)
    if not data.is_dir():
        raise UserError(f"No data directory at {data}")
    result = evaluate(data, dialogue_sets=args.dialogue_sets, part=args.part)
    print(json.dumps(result, indent=2) if args.json else format_eval(result))
    return 0
