"""The session loop on media time, with small fakes for the models (fast).

The real models run through the same loop in test_demo_e2e.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.standins import EngineParts, ListenerParts, WholeVoice
from voicecoach import eventlog as ev
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.dialogue import protocol as dp
from voicecoach.perception import types as pt
from voicecoach.session import Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import SAMPLE_RATE


class ToneVoice(WholeVoice):
    """Renders every prompt as a 0.5 s tone (fake, for speed)."""

    def render(self, text: str) -> np.ndarray:
        n = SAMPLE_RATE // 2
        return (0.3 * np.sin(np.arange(n) * 0.1)).astype(np.float32)


class ScriptedListener(ListenerParts):
    """Emits given perception events when media time reaches their `t`."""

    def __init__(self, events: list[pt.PerceptionEvent]) -> None:
        self.events = sorted(events, key=lambda e: e.t)
        self.n = 0
        self.muted: list[tuple[float, bool]] = []
        self.enrolled: list[str] = []

    def feed(self, samples: np.ndarray) -> list[pt.PerceptionEvent]:
        self.n += len(samples)
        t = self.n / SAMPLE_RATE
        out = [e for e in self.events if e.t <= t]
        self.events = [e for e in self.events if e.t > t]
        return out

    def flush(self) -> list[pt.PerceptionEvent]:
        return []

    def enroll(self, name: str, audio: np.ndarray) -> None:
        self.enrolled.append(name)

    def mute(self, muted: bool) -> None:
        self.muted.append((self.n / SAMPLE_RATE, muted))


class EchoTranscriber:
    def __init__(self, texts: dict[float, str]) -> None:
        self.texts = texts

    def transcribe(self, audio: np.ndarray) -> str:
        return self.texts[round(len(audio) / SAMPLE_RATE, 2)]


class RecordingEngine(EngineParts):
    """Says two prompts and asks Alex to enrol; records what it is told; ends on a key."""

    def __init__(self) -> None:
        self.inputs: list[dp.EngineInput] = []
        self.finished = False
        self.enrolled_once = False

    @property
    def enrolling(self) -> str | None:
        # Alex's enrolment turn is open until Alex's first utterance answers it.
        return None if self.enrolled_once else "Alex"

    def start(self, t: float) -> list[dp.Action]:
        return [
            dp.Say("a.one", "one"),
            dp.Say("a.two", "two"),
            dp.Listen("Alex", "a.l", enroll=True),
        ]

    def handle(self, event: dp.EngineInput) -> list[dp.Action]:
        if not isinstance(event, dp.Tick):
            self.inputs.append(event)
        if isinstance(event, dp.HeatAlarm):
            return [dp.Say("pause.breath", "breathe")]
        if isinstance(event, dp.PartnerSaid) and not self.enrolled_once:
            self.enrolled_once = True
            return [dp.Say("a.thanks", "thanks"), dp.Listen("both", "a.monitor")]
        if isinstance(event, dp.KeyPressed):
            self.finished = True
        return []


def _utt(t: float, dur: float, speaker: str = "unknown") -> pt.Utterance:
    audio = np.zeros(int(dur * SAMPLE_RATE), np.float32)
    return pt.Utterance(t=t, start=t - dur - 0.5, end=t - 0.5, speaker=speaker, audio=audio)


def _session(listener, engine, transcriber, tmp_path, **kw) -> Session:
    return Session(
        listener=listener,
        transcriber=transcriber,
        engine=engine,
        prompts=PromptCache(ToneVoice()),
        sink=TrackSink(),
        log=ev.EventLog(tmp_path / "events.jsonl"),
        **kw,
    )


def test_prompts_queue_never_overlap_and_each_gets_say_done(tmp_path):
    engine = RecordingEngine()
    listener = ScriptedListener([])
    s = _session(listener, engine, EchoTranscriber({}), tmp_path)
    s.run(ArraySource(np.zeros(2 * SAMPLE_RATE, np.float32), chunk_samples=777))
    says = [r for r in s.log.dicts() if r["type"] == "say"]
    assert [(r["id"], r["start"], r["end"]) for r in says] == [
        ("a.one", 0.0, 0.5),
        ("a.two", 0.5, 1.0),
    ]
    done = [e for e in engine.inputs if isinstance(e, dp.SayDone)]
    assert [(d.id, d.t) for d in done] == [("a.one", 0.5), ("a.two", 1.0)]
    # The listener was muted while the coach spoke and unmuted after.
    assert (0.99, True) in [(round(t, 2), m) for t, m in listener.muted]
    assert listener.muted[-1][1] is False
    # The coach's voice is on the sink's timeline where the log says it is.
    audio = s.sink.audio()
    assert len(audio) == SAMPLE_RATE and np.abs(audio[: SAMPLE_RATE // 2]).max() > 0.2


def test_enrolment_heard_and_alarms_reach_log_and_engine(tmp_path):
    engine = RecordingEngine()
    listener = ScriptedListener(
        [
            pt.VoiceStart(t=1.2, start=1.1),
            _utt(2.5, 1.0),
            pt.RaisedVoice(t=3.0, start=2.6, end=3.0, speaker="Alex", score=0.8),
            pt.Interruption(t=3.3, time=3.1, speaker="Sam", interrupted="Alex", overlap=0.4),
        ]
    )
    s = _session(listener, engine, EchoTranscriber({1.0: "Hi, I'm Alex."}), tmp_path)
    s.run(ArraySource(np.zeros(4 * SAMPLE_RATE, np.float32)))
    assert listener.enrolled == ["Alex"]  # the coach asked Alex: that utterance is Alex's voice
    log = s.log.dicts()
    heard = [r for r in log if r["type"] == "heard"]
    assert heard == [
        {
            "type": "heard",
            "t": 2.5,
            "speaker": "Alex",
            "text": "Hi, I'm Alex.",
            "start": 1.0,
            "end": 2.0,
        }
    ]
    detects = [r for r in log if r["type"] == "detect"]
    assert detects[0] == {
        "type": "detect",
        "t": 3.0,
        "kind": "raised_voice",
        "speaker": "Alex",
        "score": 0.8,
        "onset": 2.6,
    }
    assert detects[1]["kind"] == "interruption"
    assert detects[1]["speaker"] == "Alex" and detects[1]["by"] == "Sam"
    assert detects[1]["onset"] == 3.1
    said = [e for e in engine.inputs if isinstance(e, dp.PartnerSaid)]
    assert said[0].speaker == "Alex" and said[0].text == "Hi, I'm Alex."
    alarms = [e for e in engine.inputs if isinstance(e, dp.HeatAlarm)]
    assert [a.kind for a in alarms] == ["raised_voice", "interruption"]
    assert [a.onset for a in alarms] == [2.6, 3.1]  # where the heat began, for the engine
    # The alarm's prompt followed at once.
    pause = [r for r in log if r["type"] == "say" and r["id"] == "pause.breath"][0]
    assert pause["start"] == pytest.approx(3.0, abs=0.031)


def test_only_the_open_enrolment_turn_teaches_a_voice(tmp_path):
    """Once Alex's enrolment turn is answered, the next voice is not learnt as Alex, even
    before the engine asks anything else (it used to be: the session remembered the last
    Listen, not whether the engine was still enrolling)."""

    class QuietAfterEnrolment(RecordingEngine):
        def handle(self, event: dp.EngineInput) -> list[dp.Action]:
            actions = super().handle(event)
            return [a for a in actions if not isinstance(a, dp.Say | dp.Listen)]

    engine = QuietAfterEnrolment()
    listener = ScriptedListener([_utt(2.5, 1.0), _utt(4.5, 1.2, speaker="Sam")])
    texts = {1.0: "Hi, I'm Alex.", 1.2: "And I'm Sam."}
    s = _session(listener, engine, EchoTranscriber(texts), tmp_path)
    s.run(ArraySource(np.zeros(5 * SAMPLE_RATE, np.float32)))
    assert listener.enrolled == ["Alex"]
    heard = [(r["speaker"], r["text"]) for r in s.log.dicts() if r["type"] == "heard"]
    assert heard == [("Alex", "Hi, I'm Alex."), ("Sam", "And I'm Sam.")]


def test_key_press_ends_the_session_and_log_is_complete(tmp_path):
    engine = RecordingEngine()
    presses = iter([[], [], ["q"]])
    s = _session(
        ScriptedListener([]), engine, EchoTranscriber({}), tmp_path, keys=lambda: next(presses, [])
    )
    reason = s.run(ArraySource(np.zeros(10 * SAMPLE_RATE, np.float32)))
    assert reason == "finished" and engine.finished
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    last = json.loads(lines[-1])
    assert last["type"] == "session" and last["state"] == "end"
    assert last["t"] < 2.0  # ended soon after the key (after the queued prompts finished)


def test_ctrl_c_still_writes_the_log(tmp_path):
    class Interrupting(ArraySource):
        def chunks(self):
            yield np.zeros(SAMPLE_RATE, np.float32)
            raise KeyboardInterrupt

    s = _session(ScriptedListener([]), RecordingEngine(), EchoTranscriber({}), tmp_path)
    with pytest.raises(KeyboardInterrupt):
        s.run(Interrupting(np.zeros(1, np.float32)))
    records = ev.read_events(tmp_path / "events.jsonl")
    # 33 whole 30 ms frames were consumed when Ctrl-C came.
    assert records[-1] == {"type": "session", "t": 0.99, "state": "end", "reason": "interrupted"}
    # The prompt cut by Ctrl-C is logged with the time it really stopped.
    assert [r["id"] for r in records if r["type"] == "say"] == ["a.one", "a.two"]


def test_chunk_size_does_not_change_events(tmp_path):
    def run(chunk: int) -> list[dict]:
        listener = ScriptedListener(
            [pt.RaisedVoice(t=1.5, start=1.0, end=1.5, speaker="A", score=0.5)]
        )
        s = _session(listener, RecordingEngine(), EchoTranscriber({}), tmp_path)
        s.run(ArraySource(np.zeros(3 * SAMPLE_RATE, np.float32), chunk_samples=chunk))
        return s.log.dicts()

    assert run(1) == run(480) == run(10_000)


class PacedVoice:
    """Length depends on the pace asked for, like Piper's length_scale."""

    length_scale = 1.0
    by_sentence = True

    def synthesize(self, text: str, *, length_scale: float | None = None):
        yield np.ones(int(SAMPLE_RATE * (length_scale or self.length_scale)), np.float32) * 0.1


def test_slower_prompts_are_synthesized_slower_and_cached_per_rate():
    cache = PromptCache(PacedVoice())
    normal = cache.get("Breathe in.")
    slow = cache.get("Breathe in.", rate=0.8)
    assert len(normal) == SAMPLE_RATE and len(slow) == round(SAMPLE_RATE / 0.8)
    assert cache.get("Breathe in.") is normal


def test_criticism_in_the_words_is_logged_as_a_cue_not_an_alarm(tmp_path):
    class ReadyListener(ScriptedListener):
        readiness: list[float] = []

        def set_readiness(self, r: float) -> None:
            self.readiness.append(r)

    listener = ReadyListener([_utt(1.5, 0.5), _utt(3.5, 0.7), _utt(5.5, 0.9)])
    engine = RecordingEngine()
    texts = {0.5: "Hi.", 0.7: "You never listen to me!", 0.9: "Oh please, grow up."}
    s = _session(listener, engine, EchoTranscriber(texts), tmp_path)
    s.run(ArraySource(np.zeros(7 * SAMPLE_RATE, np.float32)))
    cues = [r for r in s.log.dicts() if r["type"] == "cue"]
    assert [(c["speaker"], c["kind"], c["phrase"]) for c in cues] == [
        ("unknown", "criticism", "You never"),
        ("unknown", "contempt", "Oh please"),
    ]
    assert not [r for r in s.log.dicts() if r["type"] == "detect"]
    assert not any(isinstance(e, dp.HeatAlarm) for e in engine.inputs)
    assert listener.readiness[0] == 0.0 and listener.readiness[-1] > 0.0


def test_no_heat_judged_while_a_voice_is_being_learnt(tmp_path):
    engine = RecordingEngine()  # asks Alex to enrol, and stays there
    listener = ScriptedListener(
        [
            pt.RaisedVoice(t=1.5, start=1.0, end=1.5, speaker="Alex", score=0.9),
            pt.Interruption(t=1.8, time=1.6, speaker="Sam", interrupted="Alex", overlap=0.3),
        ]
    )
    s = _session(listener, engine, EchoTranscriber({}), tmp_path)
    s.run(ArraySource(np.zeros(3 * SAMPLE_RATE, np.float32)))
    assert not [r for r in s.log.dicts() if r["type"] == "detect"]
    assert not any(isinstance(e, dp.HeatAlarm) for e in engine.inputs)
