"""`voicecoach history`: compare sessions, oldest first (a table, and history.html)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "history"
HELP = "compare your sessions over time"
EXAMPLES = [
    "voicecoach history",
    "voicecoach history --dir ~/couple-sessions --json",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", help="the folder holding session folders (default: the log location)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--no-page", action="store_true", help="do not write history.html")


def main(args: argparse.Namespace) -> int:
    from voicecoach.report.history import format_history, history, trend_page

    if args.dir:
        base = Path(args.dir).expanduser()
    else:
        from voicecoach.config import load_settings

        base = load_settings().log_dir
    rows = history(base)
    print(json.dumps(rows, indent=2) if args.json else format_history(rows))
    if rows and not args.no_page:
        page = trend_page(rows, base / "history.html")
        if not args.json:
            print(f"\nTrend: {page}")
    return 0
