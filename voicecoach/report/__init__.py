"""`voicecoach report` and `voicecoach history`: a session's log, for the couple to read.

``write_report(dir)`` writes ``report.html`` (one self-contained page) and ``report.png``
(the timeline) beside the session's ``events.jsonl``. ``history`` puts the headline figures
of several sessions side by side, oldest first.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from voicecoach.errors import UserError
from voicecoach.eventlog import read_events
from voicecoach.report.summary import Summary, summarize

log = logging.getLogger(__name__)

LOG_NAME = "events.jsonl"
HTML_NAME = "report.html"
PNG_NAME = "report.png"


def load_summary(session_dir: str | Path) -> Summary:
    """The summary of the session in ``session_dir`` (or of that events.jsonl itself)."""
    path = Path(session_dir).expanduser()
    events_path = path if path.is_file() else path / LOG_NAME
    if not events_path.is_file():
        raise UserError(f"No session log at {events_path}: give the folder a session wrote.")
    try:
        events = read_events(events_path)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read the session log {events_path}: {exc}") from None
    return summarize(events, name=events_path.parent.name)


def write_report(session_dir: str | Path) -> Path:
    """Write report.html and report.png beside the session's log; the page's path."""
    from voicecoach.report.figure import render
    from voicecoach.report.page import report_page

    summary = load_summary(session_dir)
    path = Path(session_dir).expanduser().resolve()
    out_dir = path.parent if path.is_file() else path
    svg = render(summary, out_dir / PNG_NAME)
    page = out_dir / HTML_NAME
    page.write_text(report_page(summary, svg), encoding="utf-8")
    for f in (page, out_dir / PNG_NAME):
        os.chmod(f, 0o600)  # as private as the log it is made from
    log.info("report written to %s", page)
    return page
