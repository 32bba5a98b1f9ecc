"""Barge-in: a partner talking over the coach stops the coach within a few frames."""

from __future__ import annotations

import numpy as np
import pytest

from tests.standins import EngineParts, WholeVoice
from voicecoach import eventlog as ev
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.dialogue import protocol as dp
from voicecoach.perception.bargein import BargeInDetector
from voicecoach.session import Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

from .test_session import EchoTranscriber, ScriptedListener


def voiced(seconds: float, level: float = 0.1) -> np.ndarray:
    """A speech-like signal: a gliding harmonic voice with syllable-rate loudness."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    phase = 2 * np.pi * np.cumsum(140 + 20 * np.sin(2 * np.pi * 1.5 * t)) / SAMPLE_RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 15))
    x = x * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2)
    return (level * x / np.abs(x).max()).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def first_hit(detector: BargeInDetector, audio: np.ndarray) -> float | None:
    for i in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        if detector.push(audio[i : i + FRAME_SAMPLES]):
            return (i + FRAME_SAMPLES) / SAMPLE_RATE
    return None


def test_onset_after_quiet_is_detected_within_100_ms():
    hit = first_hit(BargeInDetector(), np.concatenate([silence(0.5), voiced(1.0)]))
    assert hit is not None and 0.5 < hit <= 0.6


def test_speech_already_going_when_the_coach_starts_is_not_a_barge_in():
    assert first_hit(BargeInDetector(), voiced(1.5)) is None


def test_quiet_residual_echo_is_not_a_barge_in():
    assert first_hit(BargeInDetector(), np.concatenate([silence(0.5), voiced(1.0, 0.002)])) is None


def test_frames_must_be_30_ms():
    with pytest.raises(ValueError):
        BargeInDetector().push(np.zeros(100, np.float32))


class LongVoice(WholeVoice):
    def render(self, text: str) -> np.ndarray:
        return np.full(2 * SAMPLE_RATE, 0.01, np.float32)  # a 2 s prompt


class Engine(EngineParts):
    def __init__(self, first_id: str) -> None:
        self.first_id = first_id
        self.inputs: list[dp.EngineInput] = []
        self.finished = False
        self.enrolling = None

    def start(self, t: float) -> list[dp.Action]:
        return [dp.Say(self.first_id, "a long prompt"), dp.Say("x.next", "then this")]

    def handle(self, event: dp.EngineInput) -> list[dp.Action]:
        if not isinstance(event, dp.Tick):
            self.inputs.append(event)
        return []


def run(first_id: str, tmp_path, **kw) -> tuple[Session, Engine]:
    engine = Engine(first_id)
    s = Session(
        listener=ScriptedListener([]),
        transcriber=EchoTranscriber({}),
        engine=engine,
        prompts=PromptCache(LongVoice()),
        sink=TrackSink(),
        log=ev.EventLog(tmp_path / "events.jsonl"),
        **kw,
    )
    s.run(ArraySource(np.concatenate([silence(0.6), voiced(1.0), silence(3.0)])))
    return s, engine


def test_partner_talking_over_the_coach_stops_it(tmp_path):
    s, engine = run("imago.send_prompt", tmp_path)
    barge = [r for r in s.log.dicts() if r["type"] == "barge_in"]
    assert len(barge) == 1 and barge[0]["id"] == "imago.send_prompt"
    assert 0.6 < barge[0]["t"] <= 0.75
    said = [r for r in s.log.dicts() if r["type"] == "say"]
    # Cut where the partner came in, and the prompt queued behind it was dropped.
    assert [(r["id"], r["end"]) for r in said] == [("imago.send_prompt", barge[0]["t"])]
    done = [e for e in engine.inputs if isinstance(e, dp.SayDone)]
    assert done[0].interrupted and done[0].t == barge[0]["t"]
    assert any(isinstance(e, dp.SpeechStarted) for e in engine.inputs)
    # The coach's voice really stops on the output timeline.
    assert len(s.sink.audio()) == round(barge[0]["t"] * SAMPLE_RATE)


def test_the_pause_is_said_in_full_however_heated_the_room(tmp_path):
    s, _ = run("pause.breath", tmp_path)
    assert not [r for r in s.log.dicts() if r["type"] == "barge_in"]
    said = [r for r in s.log.dicts() if r["type"] == "say"]
    assert said[0]["end"] == pytest.approx(2.0)


def test_barge_in_off_without_echo_cancelling(tmp_path):
    s, _ = run("imago.send_prompt", tmp_path, barge_in=False)
    assert not [r for r in s.log.dicts() if r["type"] == "barge_in"]


def test_picking_up_again_just_as_the_coach_starts_is_a_barge_in():
    d = BargeInDetector()
    assert first_hit(d, silence(0.7)) is None  # a pause: the coach takes it as the end
    d.reset()  # the coach starts its next line ...
    hit = first_hit(d, voiced(1.0))  # ... and the partner goes on at once
    assert hit is not None and hit <= 0.15


def test_talking_straight_into_the_coach_line_is_not_a_barge_in():
    d = BargeInDetector()
    assert first_hit(d, voiced(1.0)) is None
    d.reset()  # the coach calls a pause over the argument
    assert first_hit(d, voiced(1.0)) is None


class RecordingTranscriber:
    def __init__(self) -> None:
        self.heard: list[np.ndarray] = []

    def transcribe(self, audio: np.ndarray) -> str:
        self.heard.append(np.asarray(audio))
        return "Can I say something first?"


def test_the_words_that_cut_in_reach_the_transcriber(tmp_path):
    """The listener is deaf while the coach speaks: its utterance starts after the
    barge-in, so the session puts the partner's first ~0.3 s back for the transcriber."""
    from voicecoach.perception import types as pt

    mic = np.concatenate([silence(0.6), voiced(1.0), silence(3.0)])
    start = 0.75  # where the (unmuted) listener's utterance begins
    u_audio = mic[round(start * SAMPLE_RATE) : round(1.6 * SAMPLE_RATE)]
    listener = ScriptedListener(
        [
            pt.VoiceStart(t=0.87, start=start, speaker="unknown"),
            pt.Utterance(t=2.0, start=start, end=1.6, speaker="unknown", audio=u_audio),
        ]
    )
    tr = RecordingTranscriber()
    s = Session(
        listener=listener,
        transcriber=tr,
        engine=Engine("imago.send_prompt"),
        prompts=PromptCache(LongVoice()),
        sink=TrackSink(),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    s.run(ArraySource(mic))
    barge = [r["t"] for r in s.log.dicts() if r["type"] == "barge_in"]
    assert len(barge) == 1 and len(tr.heard) == 1
    heard = tr.heard[0]
    first = round((barge[0] - 0.3) * SAMPLE_RATE)  # the pre-roll reaches back 0.3 s
    np.testing.assert_array_equal(heard, mic[first : round(1.6 * SAMPLE_RATE)])
    # ... which holds the partner's onset at 0.6 s, missing from the utterance itself.
    assert first < 0.6 * SAMPLE_RATE


def test_no_preroll_without_a_barge_in(tmp_path):
    from voicecoach.perception import types as pt

    audio = voiced(1.0)
    listener = ScriptedListener(
        [
            pt.VoiceStart(t=3.2, start=3.0, speaker="unknown"),
            pt.Utterance(t=4.5, start=3.0, end=4.0, speaker="unknown", audio=audio),
        ]
    )
    tr = RecordingTranscriber()
    s = Session(
        listener=listener,
        transcriber=tr,
        engine=Engine("pause.breath"),  # not interruptible
        prompts=PromptCache(LongVoice()),
        sink=TrackSink(),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    s.run(ArraySource(np.concatenate([silence(0.6), voiced(0.5), silence(4.0)])))
    assert len(tr.heard) == 1 and tr.heard[0] is audio
