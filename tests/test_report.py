"""`voicecoach report` and `history`: the figures, the page, and the page in a browser.

tests/data/demo-events.jsonl is the log `voicecoach demo` (scenario "heated") wrote.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from voicecoach.cli import main as cli_main
from voicecoach.report import load_summary, write_report
from voicecoach.report.history import format_history, history, trend_page
from voicecoach.report.summary import summarize

DEMO = Path(__file__).parent / "data" / "demo-events.jsonl"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _voice(t, who, start, end, above_db=0.0, above_hz=0.0):
    base_hz = 120.0 if who == "Alex" else 220.0
    return {
        "type": "voice",
        "t": t,
        "speaker": who,
        "start": start,
        "end": end,
        "level_db": -30.0 + above_db,
        "pitch_hz": base_hz + above_hz,
        "base_level_db": -30.0,
        "base_pitch_hz": base_hz,
    }


# Ten minutes: Alex talks 60 s, Sam 20 s; two interruptions, heat at 100 s, calm at 130 s.
EVENTS = [
    {"type": "session", "t": 0.0, "state": "start"},
    {"type": "enroll", "t": 5.0, "speaker": "Alex", "start": 1.0, "end": 4.0},
    {"type": "enroll", "t": 9.0, "speaker": "Sam", "start": 6.0, "end": 8.0},
    _voice(30, "Alex", 10, 30),
    _voice(31.5, "Alex", 31, 41),  # 1 s pause: the same stretch, 31 s long
    _voice(60, "Sam", 50, 60),
    _voice(101, "Alex", 90, 100, above_db=10, above_hz=40),
    {"type": "detect", "t": 100.0, "kind": "raised_voice", "speaker": "Alex", "score": 0.9},
    {
        "type": "detect",
        "t": 104.0,
        "kind": "interruption",
        "speaker": "Alex",
        "score": 0.5,
        "by": "Sam",
    },
    _voice(111, "Sam", 100, 110, above_db=8),
    {
        "type": "say",
        "t": 112.0,
        "id": "pause.breath",
        "text": "Let's take a breath together.",
        "start": 110,
        "end": 112,
    },
    {
        "type": "say",
        "t": 115.0,
        "id": "pause.safety",
        "text": "Alex, do you feel safe?",
        "start": 112,
        "end": 115,
    },
    {"type": "safety", "t": 118.0, "speaker": "Alex", "answer": "yes"},
    _voice(131, "Alex", 120, 130, above_db=1),
    {
        "type": "detect",
        "t": 400.0,
        "kind": "interruption",
        "speaker": "Sam",
        "score": 0.4,
        "by": "Alex",
    },
    {"type": "step", "t": 500.0, "script": "imago", "step": "validate"},
    {
        "type": "heard",
        "t": 510.0,
        "speaker": "Sam",
        "text": "You make sense,",
        "start": 501,
        "end": 505,
    },
    {
        "type": "heard",
        "t": 512.0,
        "speaker": "Sam",
        "text": "because you miss me.",
        "start": 505.5,
        "end": 509,
    },
    {"type": "step", "t": 520.0, "script": "appreciation", "step": "first"},
    {
        "type": "heard",
        "t": 530.0,
        "speaker": "Alex",
        "text": "I value your patience.",
        "start": 521,
        "end": 525,
    },
    {"type": "session", "t": 600.0, "state": "end", "reason": "done"},
]


def test_figures_of_a_session():
    s = summarize(EVENTS, name="s1")
    f = s.figures()
    assert s.partners == ["Alex", "Sam"]
    assert s.talk_s == {"Alex": 20 + 10 + 10 + 10, "Sam": 20}
    assert f["talk_share"] == {"Alex": 0.714, "Sam": 0.286}
    assert f["interruptions"] == 2 and f["interruptions_per_10min"] == 2.0
    assert (f["longest_monologue_by"], f["longest_monologue_s"]) == ("Alex", 31.0)
    # Heat from 100 s; the first calm turn after the last detection of that stretch
    # (104 s) ends at 130 s. The lone interruption at 400 s has no calm turn after it.
    assert s.heat_to_calm_s == [30.0] and s.heat_unresolved == 1
    assert f["coach_stepped_in"] == 1  # the pause's lines are one intervention
    assert [(m.kind, m.speaker, m.text) for m in s.moments if m.kind != "safe"] == [
        ("validation", "Sam", "You make sense, because you miss me."),
        ("appreciation", "Alex", "I value your patience."),
    ]
    levels = [(t.level_db, round(t.pitch_st or 0, 2)) for t in s.turns if t.start == 90]
    assert levels == [(10.0, 4.98)]


def test_old_log_without_voice_records_falls_back_to_turns():
    old = [e for e in EVENTS if e["type"] != "voice"]
    s = summarize(old)
    assert not s.has_levels
    assert s.talk_s == {"Alex": 4.0, "Sam": 7.5}  # the transcribed turns only
    assert s.heat_to_calm_s == [18.0]  # without levels: to the first "yes, I feel safe"


def test_report_files_are_private_and_load_nothing(tmp_path):
    shutil.copy(DEMO, tmp_path / "events.jsonl")
    page = write_report(tmp_path)
    assert page == tmp_path / "report.html"
    png = (tmp_path / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    for f in (page, tmp_path / "report.png"):
        assert f.stat().st_mode & 0o777 == 0o600
    html = page.read_text()
    # No address to fetch: only the SVG/XLink namespaces, which are names, not requests.
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "<script" not in html and "src=" not in html
    assert "Alex and Sam: your conversation" in html


def test_torn_last_line_does_not_break_the_report(tmp_path):
    text = DEMO.read_text()
    (tmp_path / "events.jsonl").write_text(text + '{"type": "heard", "t": 400.0, "spe')
    assert write_report(tmp_path).is_file()
    assert load_summary(tmp_path).figures() == load_summary(DEMO).figures() | {
        "session": tmp_path.name
    }


def test_report_command_and_a_missing_log(tmp_path, capsys):
    shutil.copy(DEMO, tmp_path / "events.jsonl")
    assert cli_main(["report", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "report.html")
    assert cli_main(["report", str(tmp_path / "nowhere")]) == 2
    assert "No session log at" in capsys.readouterr().err


def test_history_compares_sessions_oldest_first(tmp_path, capsys):
    for name, events in (("20261201-200000", EVENTS), ("20261205-200000", EVENTS[:8])):
        d = tmp_path / name
        d.mkdir()
        (d / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    rows = history(tmp_path)
    assert [r["session"] for r in rows] == ["20261201-200000", "20261205-200000"]
    table = format_history(rows)
    assert table.splitlines()[1].startswith("20261201-200000")
    assert all(len(line) <= 80 for line in table.splitlines())
    trend = trend_page(rows, tmp_path / "history.html")
    assert trend.stat().st_mode & 0o777 == 0o600
    page = trend.read_text()
    assert "<svg" in page and "20261205-200000" in page
    assert cli_main(["history", "--dir", str(tmp_path), "--json", "--no-page"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["interruptions"] == 2


def test_demo_report_in_a_real_headless_browser(tmp_path):
    """Chromium renders the page of a demo session: no errors, no requests, the parts are
    there, and the screenshot has something on it."""
    from playwright.sync_api import sync_playwright

    shutil.copy(DEMO, tmp_path / "events.jsonl")
    page_path = write_report(tmp_path)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            timeline = page.locator("#timeline svg")
            assert timeline.count() == 1 and timeline.bounding_box()["height"] > 300
            balance = page.locator("#balance").inner_text()
            assert re.search(r"Alex \d+%", balance) and re.search(r"Sam \d+%", balance)
            steps_in = page.locator("#interventions li").all_inner_texts()
            assert steps_in and "breath" in steps_in[0]
            well = page.locator("#went-well").inner_text()
            assert "Validations: 2" in well and "Appreciations: 2" in well
            shot = tmp_path / "shot.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == [page_path.as_uri()]  # the page itself, nothing else
    _assert_not_blank(shot)


def _assert_not_blank(png: Path) -> None:
    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(png)[..., :3]
    assert img.shape[0] > 800
    # A blank page is one colour; the report has text, bars and lines in several.
    assert img.std() > 0.05
    colours = {tuple(px) for px in (img[::7, ::7].reshape(-1, 3) * 255).astype(int)}
    assert len(colours) > 50
    assert np.mean(img < 0.5) > 0.01  # dark ink: text and axes


def test_a_log_with_nothing_said_still_gets_a_page(tmp_path):
    (tmp_path / "events.jsonl").write_text('{"type": "session", "t": 0.0, "state": "start"}\n')
    html = write_report(tmp_path).read_text()
    assert "<h1>Your conversation</h1>" in html and "No talking was recorded." in html
