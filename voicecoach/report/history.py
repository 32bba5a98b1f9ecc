"""`voicecoach history`: the same figures for each session, oldest first, as a trend."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from voicecoach.errors import UserError
from voicecoach.report import LOG_NAME, load_summary

log = logging.getLogger(__name__)

COLUMNS = (
    ("session", "session", "{}"),
    ("minutes", "min", "{:.0f}"),
    ("interruptions_per_10min", "cut/10m", "{:.1f}"),
    ("raised_voices", "raised", "{}"),
    ("longest_monologue_s", "longest", "{:.0f}s"),
    ("heat_to_calm_s", "calm in", "{:.0f}s"),
    ("coach_stepped_in", "coach", "{}"),
    ("mirrors", "mirror", "{}"),
    ("validations", "valid", "{}"),
    ("appreciations", "thanks", "{}"),
)
LEGEND = (
    "cut/10m: talking over each other, per 10 minutes. longest: one person talking\n"
    "without a break. calm in: from heated to calm voices. coach: times it came in.\n"
    "mirror, valid(ations), thanks (appreciations): what went well."
)


def session_dirs(base: Path) -> list[Path]:
    """Folders under ``base`` holding a session log, oldest first (by name: a time stamp)."""
    if not base.is_dir():
        raise UserError(f"No sessions folder at {base}: run a session first, or give --dir.")
    return sorted(p.parent for p in base.glob(f"*/{LOG_NAME}"))


def history(base: Path) -> list[dict[str, Any]]:
    rows = []
    for d in session_dirs(base):
        try:
            rows.append(load_summary(d).figures())
        except UserError as exc:  # one unreadable session must not hide the others
            log.warning("%s", exc)
    return rows


def _cell(value: Any, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def format_history(rows: list[dict[str, Any]]) -> str:
    """A table for a terminal (fits 80 columns with short session names)."""
    if not rows:
        return "No sessions yet."
    table = [[title for _, title, _ in COLUMNS]]
    for r in rows:
        table.append([_cell(r.get(key), fmt) for key, _, fmt in COLUMNS])
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = [" ".join(_pad(row, widths)) for row in table]
    lines += ["", LEGEND]
    if len(rows) >= 2:
        lines.append("")
        lines.append(_trend(rows))
    return "\n".join(lines)


def _pad(row: list[str], widths: list[int]) -> list[str]:
    # The session name reads left to right; the numbers line up on the right.
    return [
        c.ljust(w) if i == 0 else c.rjust(w)
        for i, (c, w) in enumerate(zip(row, widths, strict=True))
    ]


def _trend(rows: list[dict[str, Any]]) -> str:
    """One sentence comparing the latest session with the ones before it."""
    last, before = rows[-1], rows[:-1]
    earlier = [r["interruptions_per_10min"] for r in before]
    mean = sum(earlier) / len(earlier)
    now = last["interruptions_per_10min"]
    if now < mean - 0.5:
        how = "less than before"
    elif now > mean + 0.5:
        how = "more than before"
    else:
        how = "about as before"
    return f"Talking over each other: {now:.1f} per 10 min, earlier {mean:.1f} ({how})."


def trend_page(rows: list[dict[str, Any]], path: Path) -> Path:
    """history.html: each figure per session as a small trend chart (inline SVG)."""
    from html import escape

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from voicecoach.report.figure import svg_text
    from voicecoach.report.page import CSP, STYLE

    keys = list(COLUMNS[2:])
    fig = Figure(figsize=(10, 1.8 * ((len(keys) + 1) // 2)), dpi=100)
    axes = fig.subplots((len(keys) + 1) // 2, 2, squeeze=False).ravel()
    xs = list(range(1, len(rows) + 1))
    for ax, (key, title, _) in zip(axes, keys, strict=False):
        ys = [r.get(key) for r in rows]
        pts = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", color="#3b6fb6")
        ax.set_title(title, fontsize=9)
        ax.set_xticks(xs)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    fig.tight_layout()
    svg = svg_text(fig)
    names = "".join(f"<li>{i}: {escape(r['session'])}</li>" for i, r in enumerate(rows, 1))
    table = escape(format_history(rows))
    path.write_text(
        f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>Your sessions over time</title><style>{STYLE}</style></head><body>
<h1>Your sessions over time</h1><p class="sub">Each point is one session, oldest first.</p>
<div id="trend">{svg}</div><ol>{names}</ol><pre>{table}</pre></body></html>
""",
        encoding="utf-8",
    )
    path.chmod(0o600)  # it names sessions and what went on in them
    return path
