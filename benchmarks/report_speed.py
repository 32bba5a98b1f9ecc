"""How long `voicecoach report` and `history` take, and the size of what they write.

Uses the demo session's log in tests/data (5.7 min, 208 records); ``--sessions N``
copies it N times for `history`. Prints JSON.

    python benchmarks/report_speed.py [--sessions 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "tests" / "data" / "demo-events.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    args = ap.parse_args()
    from voicecoach.report import write_report
    from voicecoach.report.history import history, trend_page

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for i in range(args.sessions):
            d = base / f"20261201-{i:06d}"
            d.mkdir()
            shutil.copy(DEMO, d / "events.jsonl")
        first = base / "20261201-000000"
        t0 = time.perf_counter()
        write_report(first)  # includes importing matplotlib the first time
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = write_report(first)
        warm = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = history(base)
        trend = trend_page(rows, base / "history.html")
        hist = time.perf_counter() - t0
        print(
            json.dumps(
                {
                    "report_first_s": round(cold, 2),
                    "report_again_s": round(warm, 2),
                    "report_html_kb": round(page.stat().st_size / 1024, 1),
                    "report_png_kb": round((first / "report.png").stat().st_size / 1024, 1),
                    "history_sessions": len(rows),
                    "history_s": round(hist, 2),
                    "history_html_kb": round(trend.stat().st_size / 1024, 1),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
