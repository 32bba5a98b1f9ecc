"""The live view: a recorded rich console (as on a terminal) and plain lines (a pipe)."""

from __future__ import annotations

import io

import numpy as np

from tests.test_session import EchoTranscriber, RecordingEngine, ScriptedListener, _session, _utt
from voicecoach.audio.files import ArraySource
from voicecoach.live import LiveState, PlainView, RichView, make_view
from voicecoach.perception import types as pt
from voicecoach.timebase import SAMPLE_RATE

# A heated minute as the session logs it: both enrolled, Sam loud and high, Alex cut in.
EVENTS = [
    {"type": "session", "t": 0.0, "state": "start"},
    {"type": "enroll", "t": 5.0, "speaker": "Alex", "start": 1.0, "end": 4.5},
    {"type": "enroll", "t": 10.0, "speaker": "Sam", "start": 6.0, "end": 9.5},
    {"type": "step", "t": 10.5, "script": "session", "step": "monitor"},
    {"type": "detect", "t": 20.5, "kind": "raised_voice", "speaker": "Sam", "score": 0.8},
    {
        "type": "detect",
        "t": 21.0,
        "kind": "interruption",
        "speaker": "Sam",
        "score": 0.7,
        "by": "Alex",
    },
    {
        "type": "voice",
        "t": 21.5,
        "speaker": "Sam",
        "start": 16.0,
        "end": 19.4,
        "level_db": -18.0,
        "pitch_hz": 262.0,
        "base_level_db": -28.0,
        "base_pitch_hz": 220.0,
    },
    {"type": "cue", "t": 22.0, "speaker": "Alex", "kind": "criticism", "phrase": "you never"},
    {"type": "step", "t": 23.0, "script": "timeout", "step": "start"},
    {
        "type": "say",
        "t": 25.0,
        "id": "timeout.start",
        "text": "Let's take a timeout.",
        "start": 23.0,
        "end": 25.0,
    },
    {"type": "show", "t": 25.0, "text": "Timeout: calm down apart. (20 minutes)"},
]


def test_state_follows_levels_heat_reasons_step_floor_and_timer():
    s = LiveState()
    for e in EVENTS[:5]:
        s.record(e)
    # Decided mid-turn, before the turn's levels are known: a strained voice, so far.
    assert s.heat()[1] == ["voice strain"]
    for e in EVENTS[5:]:
        s.record(e)
    s.tick(30.0, "both")
    assert s.partners == ["Alex", "Sam"]
    assert round(s.levels["Sam"].level_db, 1) == 10.0
    assert 2.9 < s.levels["Sam"].pitch_st < 3.1
    heat, why = s.heat()
    assert heat > 0.6
    assert why[0] == "loud+pitch" and "talk-over" in why and "words" in why
    assert s.step == "timeout.start" and s.floor == "both"
    assert s.timer_left() == 25.0 + 20 * 60 - 30.0
    # Heat fades on media time: ten half-lives later the gauge is calm.
    s.tick(30.0 + 10 * 15.0, None)
    assert s.heat()[0] < 0.2


def test_rich_view_on_a_recorded_terminal_fits_80_columns():
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, record=True, color_system="standard")
    view = RichView(console)
    for e in EVENTS:
        view.record(e)
    view.voice(26.0, "Alex")
    view.tick(30.0, "Alex")
    view.close()
    text = console.export_text()
    assert "\x1b[" in out.getvalue()  # drawn for a terminal, in place
    panel = text[text.rindex("╭─ voicecoach") :]
    for needle in ("Speaking", "Alex", "+10 dB vs calm", "pitch +3.0 st", "Heat", "talk-over"):
        assert needle in panel, needle
    assert "timeout.start" in panel and "Floor" in panel
    assert "19:55 left" in panel  # the timeout's countdown on media time
    assert "Last       [  21.00s] ! Alex talked over Sam" in panel  # the last detection
    assert "[  20.50s] ! raised voice: Sam" in text  # the transcript scrolls above it
    assert max(len(line) for line in panel.splitlines()) <= 80


def test_plain_view_prints_a_line_per_change_and_no_cursor_codes():
    out = io.StringIO()
    view = PlainView(out)
    for e in EVENTS:
        view.record(e)
    lines = out.getvalue().splitlines()
    view.tick(30.0, "both")
    view.tick(30.3, "both")  # nothing shown changed: no new line
    view.tick(30.6, "both")
    after = out.getvalue().splitlines()
    assert "\x1b" not in out.getvalue()
    assert len(after) == len(lines) + 1
    assert "floor: both" in after[-1] and "heat: hot" in after[-1]
    assert any("Coach: Let's take a timeout." in ln for ln in lines)
    assert any("raised voice: Sam" in ln for ln in lines)


def test_make_view_picks_plain_for_a_pipe_and_none_when_quiet():
    pipe = io.StringIO()
    view = make_view(False, pipe, partners=("Alex", "Sam"))
    assert isinstance(view, PlainView) and view.state.partners == ["Alex", "Sam"]
    assert make_view(True, pipe) is None


def test_a_session_feeds_its_observers_on_media_time(tmp_path):
    """The real session loop tells the view who speaks, every record and the floor."""
    engine = RecordingEngine()
    utt = _utt(2.0, 1.0, "Alex")
    listener = ScriptedListener([pt.VoiceStart(t=1.2, start=0.9, speaker="Alex"), utt])
    out = io.StringIO()
    view = PlainView(out)
    s = _session(
        listener, engine, EchoTranscriber({1.0: "Hi, I'm Alex."}), tmp_path, observers=[view]
    )
    s.log.watchers.append(view.record)
    s.run(ArraySource(np.zeros(3 * SAMPLE_RATE, np.float32), chunk_samples=1000))
    text = out.getvalue()
    assert "speaking: Alex" in text and "Alex: Hi, I'm Alex." in text
    # A voice record carries who spoke when (levels are None: the fake has no frames).
    voice = [r for r in s.log.dicts() if r["type"] == "voice"]
    assert voice == [{"type": "voice", "t": 2.0, "speaker": "Alex", "start": 0.5, "end": 1.5}]
    assert view.state.t >= 2.9 and view.state.ended
