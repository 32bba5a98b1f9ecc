"""The pause comes while it still helps (issue #14, item 7), in the session loop.

Between a heat alarm and the pause, the session holds back transcription: Whisper takes
0.5-1 s of CPU per utterance, which in a live room is that much later a pause. The
utterances are transcribed as soon as the pause has begun, and words of danger in them
still stop everything.
"""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach import eventlog as ev
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.script import load_script, parse_script
from voicecoach.perception import types as pt
from voicecoach.session import Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import SAMPLE_RATE

from .test_session import ScriptedListener, ToneVoice

WATCH = """\
steps:
  - id: monitor
    kind: monitor
  - id: calm
    kind: run
    script: pause
  - id: done
    kind: end
"""


class ClockedTranscriber:
    """Answers ``text`` and notes the session's media time of every call."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.session: Session | None = None
        self.at: list[float] = []

    def transcribe(self, audio: np.ndarray) -> str:
        assert self.session is not None
        self.at.append(self.session.t)
        return self.text


def run(
    tmp_path, text: str, alarm: bool = True, sam_talks_on: bool = True, alarm_at: float = 2.0
) -> tuple[Session, ClockedTranscriber]:
    from pathlib import Path

    watch = parse_script(WATCH, Path("watch.yaml"))
    engine = Engine(lambda n: watch if n == "watch" else load_script(n), ("Alex", "Sam"), "watch")
    audio = np.zeros(SAMPLE_RATE, np.float32)
    events: list = [
        pt.VoiceStart(t=1.0, start=0.9, speaker="Alex"),
        pt.Utterance(t=2.2, start=0.9, end=1.9, speaker="Alex", audio=audio),
    ]
    if alarm:  # Sam cut in at 1.5 s; the detector decided at 2.0 s
        events.append(
            pt.Interruption(t=alarm_at, time=1.5, speaker="Sam", interrupted="Alex", overlap=0.5)
        )
    if sam_talks_on:  # ... and Sam goes on talking: no breath in the fight
        events.append(pt.VoiceStart(t=1.7, start=1.5, speaker="Sam"))
    tr = ClockedTranscriber(text)
    s = Session(
        listener=ScriptedListener(events),
        transcriber=tr,
        engine=engine,
        prompts=PromptCache(ToneVoice()),
        sink=TrackSink(),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    tr.session = s
    s.run(ArraySource(np.zeros(6 * SAMPLE_RATE, np.float32)))
    return s, tr


def test_no_transcription_between_the_alarm_and_the_pause(tmp_path) -> None:
    s, tr = run(tmp_path, "You never listen to me.")
    log = s.log.dicts()
    pause = next(r for r in log if r["type"] == "say" and r["id"] == "pause.breath")
    # Sam talks on (no breath): the pause comes 1.5 s after the onset, firmly.
    assert pause["start"] == pytest.approx(1.5 + 1.5, abs=0.031)
    assert tr.at and tr.at[0] == pytest.approx(pause["start"], abs=0.031)
    heard = next(r for r in log if r["type"] == "heard")
    assert heard["start"] == 0.9 and heard["end"] == 1.9 and heard["t"] >= pause["start"]


def test_an_alarm_in_the_same_frame_as_an_utterance_end_still_holds_it_back(tmp_path) -> None:
    # The listener reports the utterance's end before the alarm in one frame (2.2 s).
    s, tr = run(tmp_path, "You never listen to me.", alarm_at=2.2)
    pause = next(r for r in s.log.dicts() if r["type"] == "say" and r["id"] == "pause.breath")
    assert pause["start"] == pytest.approx(3.0, abs=0.031)
    assert tr.at[0] == pytest.approx(pause["start"], abs=0.031)


def test_a_breath_is_still_heard_while_the_words_are_held_back(tmp_path) -> None:
    # Only Alex was talking, and stops at 1.9 s (the utterance ends at 2.2 s): the coach
    # speaks into that breath, before its 1.5 s bound, and transcribes after.
    s, tr = run(tmp_path, "You never listen to me.", sam_talks_on=False)
    pause = next(r for r in s.log.dicts() if r["type"] == "say" and r["id"] == "pause.breath")
    assert pause["start"] == pytest.approx(2.2, abs=0.031)
    assert tr.at and tr.at[0] >= pause["start"] - 1e-6


def test_without_heat_an_utterance_is_transcribed_when_it_ends(tmp_path) -> None:
    _, tr = run(tmp_path, "Shall we go for a walk?", alarm=False)
    assert tr.at == [pytest.approx(2.2, abs=0.031)]


def test_danger_words_held_back_still_stop_everything(tmp_path) -> None:
    s, _ = run(tmp_path, "He hit me last week.")
    log = s.log.dicts()
    assert any(r["type"] == "show" for r in log)
    assert log[-1] == {"type": "session", "t": log[-1]["t"], "state": "end", "reason": "not safe"}
