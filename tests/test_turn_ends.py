"""Turn ends decided while the silence runs (issue #19), on generated speech.

A real Listener (webrtcvad), real Whisper base and the real engine run a one-step script
on Piper speech: a finished message ends ~0.7 s after the voice stops, a trailing
conjunction waits, a yes/no answer ends on the answer, and the words a pause was
transcribed to speculatively are discarded when the speaker goes on. Replays give the
same events whatever the chunking and however slow the transcriber.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.standins import WholeVoice
from voicecoach import eventlog as ev
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.script import parse_script
from voicecoach.dialogue.settings import Settings
from voicecoach.dialogue.turns import end_wait_s, looks_complete, trails_off
from voicecoach.lab.testaudio import piper_speech, place
from voicecoach.perception.listener import Listener
from voicecoach.session import SPECULATE_AFTER_S, Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import SAMPLE_RATE

S = Settings()

ASK = """
description: one yes/no question
steps:
  - id: q
    kind: ask
    to: partner1
    expect: yesno
    text: "Is now a good time?"
    on: {yes: done, no: done, unsure: done}
  - id: done
    kind: say
    text: "Okay."
"""

LISTEN = """
description: one message
steps:
  - id: send
    kind: listen
    who: partner1
    max: 60
  - id: done
    kind: say
    text: "Thank you."
  - id: other
    kind: listen
    who: partner2
    max: 60
"""


# ------------------------------------------------------------------ the policy, pure


def test_end_wait_follows_the_words_and_the_step() -> None:
    msg = S.message_end_s
    assert end_wait_s("I felt lonely this week.", "message", msg, S) == msg
    assert end_wait_s("I felt lonely this week and I", "message", msg, S) == (
        S.turn_end_incomplete_s
    )
    assert end_wait_s("Because.", "message", msg, S) == S.turn_end_incomplete_s
    assert end_wait_s("Wait a second.", "message", msg, S) == S.turn_end_incomplete_s
    # A yes/no question ends on the answer, punctuated or not, unless it goes on.
    no = "No I don't think we can do that now"  # unpunctuated, as on a phone line
    assert end_wait_s(no, "yesno", S.turn_end_s, S) == S.turn_end_s
    assert end_wait_s(no, "free", S.turn_end_s, S) == S.turn_end_incomplete_s
    # A question mark is believed, a short unpunctuated reply is whole.
    assert end_wait_s("Where would you go from?", "message", msg, S) == msg
    assert end_wait_s("okay that sounds good", "message", msg, S) == msg
    assert end_wait_s("Yes, but", "yesno", S.turn_end_s, S) == S.turn_end_incomplete_s
    assert trails_off("I felt lonely and") and not trails_off("Yes.")
    assert not looks_complete("Let me think.")


# ------------------------------------------------------------------ on generated speech


class _Silent(WholeVoice):
    """The coach's voice: 0.3 s of silence per line (the test is about the partner)."""

    def render(self, text: str) -> np.ndarray:
        return np.zeros(int(0.3 * SAMPLE_RATE), np.float32)


class _Recording:
    """A transcriber that records what it was asked, optionally slowly (wall time)."""

    def __init__(self, inner, delay_s: float = 0.0) -> None:
        self.inner, self.delay_s = inner, delay_s
        self.texts: list[str] = []

    def transcribe(self, audio: np.ndarray) -> str:
        if self.delay_s:
            time.sleep(self.delay_s)
        text = self.inner.transcribe(audio)
        self.texts.append(text)
        return text


@pytest.fixture(scope="module")
def whisper():
    from voicecoach.speech.whisper import WhisperTranscriber

    return WhisperTranscriber("base", progress=False)


def _run(
    script: str, audio: np.ndarray, transcriber, tmp: Path, chunk: int = 480
) -> tuple[list[dict], Session]:
    engine = Engine({"t": parse_script(script, Path("t.yaml"))}, ("Alex", "Sam"), entry="t")
    session = Session(
        listener=Listener(),
        transcriber=transcriber,
        engine=engine,
        prompts=PromptCache(_Silent()),
        sink=TrackSink("t"),
        log=ev.EventLog(tmp / f"events-{chunk}.jsonl"),
    )
    session.run(ArraySource(audio, chunk_samples=chunk))
    return session.log.dicts(), session


def _reply_gap(events: list[dict], say_id: str) -> float:
    """Media seconds from the end of the last partner speech heard before ``say_id``."""
    say = next(e for e in events if e["type"] == "say" and e["id"].endswith(say_id))
    heard = [e for e in events if e["type"] == "heard" and e["end"] <= say["start"]]
    return say["start"] - heard[-1]["end"]


def _voice_end_s(audio: np.ndarray) -> float:
    loud = np.flatnonzero(np.abs(audio) > 0.05 * np.max(np.abs(audio)))
    return (loud[-1] + 1) / SAMPLE_RATE


def _speech(*parts: tuple[float, str], total_s: float) -> np.ndarray:
    return place(total_s, [(at, piper_speech(text)) for at, text in parts])


@pytest.mark.models
def test_a_finished_sentence_ends_fast(whisper, tmp_path: Path) -> None:
    audio = _speech((0.5, "I felt lonely when you worked late this week."), total_s=7.0)
    events, _ = _run(LISTEN, audio, _Recording(whisper), tmp_path)
    gap = _reply_gap(events, "done")
    assert S.message_end_s - 0.05 <= gap <= S.message_end_s + 0.2, gap


@pytest.mark.models
def test_a_trailing_conjunction_waits(whisper, tmp_path: Path) -> None:
    first = piper_speech("I felt lonely this week, and")
    t2 = 0.5 + first.size / SAMPLE_RATE + 1.6  # longer than a finished message's wait
    audio = _speech((0.5, "I felt lonely this week, and"), (t2, "I missed you."), total_s=t2 + 5)
    events, _ = _run(LISTEN, audio, _Recording(whisper), tmp_path)
    say = next(e for e in events if e["type"] == "say" and e["id"].endswith("done"))
    heard = [e for e in events if e["type"] == "heard"]
    assert len(heard) == 2 and say["start"] > heard[1]["end"], events
    assert "missed" in heard[1]["text"].lower()


@pytest.mark.models
def test_a_yes_no_question_ends_on_the_answer(whisper, tmp_path: Path) -> None:
    audio = _speech((0.8, "No, I don't"), total_s=5.0)
    events, _ = _run(ASK, audio, _Recording(whisper), tmp_path)
    assert any(e["type"] == "heard" for e in events), events
    gap = _reply_gap(events, "done")
    assert gap <= S.turn_end_s + 0.15, gap


@pytest.mark.models
def test_a_speculative_transcript_is_discarded_when_the_speaker_goes_on(
    whisper, tmp_path: Path
) -> None:
    first = piper_speech("I felt lonely this week.")
    # Past the speculation point, short of the utterance's end (the 0.35 s hangover),
    # counted from the voice's end (Piper leaves some silence after it).
    t2 = 0.5 + _voice_end_s(first) + SPECULATE_AFTER_S + 0.1
    audio = _speech((0.5, "I felt lonely this week."), (t2, "I missed you."), total_s=t2 + 5)
    rec = _Recording(whisper)
    events, session = _run(LISTEN, audio, rec, tmp_path)
    heard = [e for e in events if e["type"] == "heard"]
    assert len(heard) == 1, heard  # one utterance: both sentences
    assert "lonely" in heard[0]["text"].lower() and "missed" in heard[0]["text"].lower()
    # A guess was made in the pause and thrown away: its words were never heard alone.
    assert any("lonely" in t.lower() and "missed" not in t.lower() for t in rec.texts)
    assert session.guesses >= 2 and session.guesses_used == 1
    say = next(e for e in events if e["type"] == "say" and e["id"].endswith("done"))
    assert say["start"] > heard[0]["end"]
    # The replay is the same whatever the chunking and however slow the transcriber.
    again, _ = _run(LISTEN, audio, _Recording(whisper, delay_s=0.3), tmp_path, chunk=4000)
    assert again == events
