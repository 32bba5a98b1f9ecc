"""`voicecoach bench`: latency, speed and memory on this machine, as JSON, next to targets.

Every number is measured here, with the default models (Whisper base, Piper joe), and
printed next to its target with ``met`` true/false. Nothing asserts: a benchmark reports.

Wall-clock time is used only inside the measurements (that is what a benchmark measures);
the pipeline itself still runs on media time. Live latency is composed as the issue
defines it: the media time the engine waits for a turn to end, plus the wall time the
machine needs to transcribe that turn and to synthesize the first audio of the answer
(in a file-driven run those two cost no media time, on a live microphone they do).

Parts that must not disturb the others run in a fresh interpreter
(``python -m voicecoach.lab.bench idle|devices``): the idle CPU/memory measurement (so
resident memory is that of a session, not of this benchmark) and the audio devices
(PulseAudio environment and PortAudio state stay out of this process).

Timings on a loaded machine are upper bounds: the load average is reported with them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)

SR = SAMPLE_RATE

TARGETS: dict[str, float] = {
    "pause_prompt_ms": 150.0,
    "end_of_turn_p50_ms": 900.0,
    "end_of_turn_p95_ms": 1500.0,
    "end_of_turn_answer_p50_ms": 600.0,
    "end_of_turn_message_p50_ms": 1200.0,
    "end_of_turn_message_p95_ms": 2000.0,
    "transcribe_3s_tiny.en_ms": 300.0,
    "transcribe_3s_base_ms": 500.0,
    "first_audio_ms": 100.0,
    "idle_cpu_percent": 10.0,
    "idle_rss_mb": 600.0,
    "echo_events_from_coach": 0.0,
    "barge_in_stop_ms": 300.0,
    "heat_to_first_word_median_s": 2.0,
    "heat_to_first_word_max_s": 3.5,
}

NOTES = [
    "Wall-clock times are upper bounds when other work loads the machine (see load_avg_1m);"
    " *_cpu_ms is CPU time of all threads, which waiting for a core does not inflate.",
    "end_of_turn total = max(wait (media time, engine), transcription asked at (media,"
    " speculative: in the pause) + its wall time) + first audio (wall).",
    "synthesis: Piper from text to its first chunk; first_audio_in_session: a prompt asked"
    " for to its first audio in the dialogue, where openings are made ahead while the"
    " partner speaks (PromptCache.prepare_first).",
    "pause_prompt: the engine's decision (its Say) to the first sample handed to the output,"
    " plus the device's reported output latency when a device was available;"
    " detect_to_decision_media_ms is how long the engine waited after the detection.",
    "heat_to_first_word: media time (events.jsonl) from the onset of the heat (the earliest"
    " `onset` of the detections that led to a pause) to the first audible sample of the"
    " pause's first line (its `say` start plus the prompt audio's leading silence);"
    " transcribing_before_pause_wall_s: Whisper's wall time in that span, which a live"
    " room would add (the session holds transcription back while a pause is due).",
    "idle: CPU seconds per media second while listening quietly after the enrolment.",
    "barge_in: media time from the partner's onset to the coach's voice cut, plus the"
    " device's stop-to-silence measured on the speaker monitor.",
]

# Partner speech used to cut 1/3/6 s utterances (about 7 s at an everyday pace).
LONG_LINE = (
    "I feel lonely when every weekend is planned for us, and I need some time that is just "
    "ours, because I really miss you and I miss the way we used to talk."
)
ONE_SENTENCE = "Let's take a short pause."
THREE_SENTENCES = (
    "Thank you for sharing that. Now please mirror back what you heard. "
    "Take your time, there is no hurry."
)
CALM_LINES = (
    "I think we could go for a walk on Sunday if the weather is nice.",
    "That sounds good. I can call my sister on Saturday morning then.",
    "Did you remember to buy milk on the way home?",
    "Yes, it is in the fridge. I also got some bread.",
    "The meeting went fine today, nothing special really.",
    "I was thinking about painting the kitchen next month.",
)
BARGE_LINE = "Wait, can I say something first, please?"


def target(value: float | None, name: str, unit: str = "ms") -> dict[str, Any]:
    """``value`` next to its target: {"value", "target", "met"}."""
    limit = TARGETS[name]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return {"value": None, "target": f"<= {limit:g} {unit}", "met": None}
    return {
        "value": round(float(value), 1),
        "target": f"<= {limit:g} {unit}",
        "met": value <= limit,
    }


def _ms(seconds: float) -> float:
    return round(1000.0 * seconds, 1)


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _level_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
    }


# ------------------------------------------------------------------ speech material


def partner_speech(voice: Any, text: str, *, pitch: float = 1.0) -> np.ndarray:
    """``text`` in the Piper voice at an everyday pace; ``pitch`` > 1 a second, higher voice.

    A partner at -26 dBFS (RMS of the speech), a calm conversational level at a laptop mic.
    """
    from voicecoach.demo.room import active_level_db
    from voicecoach.speech.resample import resample

    audio = np.asarray(voice.render(text, length_scale=1.0), dtype=np.float32)
    if pitch != 1.0:
        # Played back faster: higher and shorter, clearly another speaker to the listener.
        audio = resample(audio, int(round(SR * pitch, -2)), SR)
    gain = 10 ** ((-26.0 - active_level_db(audio)) / 20)
    return (audio * gain).astype(np.float32)


# ------------------------------------------------------------------ transcription, synthesis


def measure_transcription(
    transcribers: dict[str, Any], speech: np.ndarray, lengths: tuple[float, ...], runs: int
) -> dict[str, Any]:
    """Median wall time (ms) of ``transcribe`` per model and utterance length."""
    out: dict[str, Any] = {}
    for name, tr in transcribers.items():
        tr.transcribe(speech[:SR])  # first call warms caches; not counted
        window = getattr(tr, "window", None)
        row: dict[str, Any] = {"window_s": None if window is None else window.min_s}
        for seconds in lengths:
            clip = speech[: int(seconds * SR)]
            times, cpu, text = [], [], ""
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.process_time()
                text = tr.transcribe(clip)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            row[f"{seconds:g}s"] = {
                "median_ms": _ms(statistics.median(times)),
                # CPU of all threads: on a machine shared with other work, wall time
                # includes waiting for a core; this part does not.
                "median_cpu_ms": _ms(statistics.median(cpu)),
                "text": text,
            }
        out[name] = row
    return out


def measure_synthesis(voice: Any, runs: int) -> dict[str, Any]:
    """Median wall time (ms) from ``synthesize`` called to its first chunk."""
    out: dict[str, Any] = {}
    for label, text in (("one_sentence", ONE_SENTENCE), ("three_sentences", THREE_SENTENCES)):
        next(iter(voice.synthesize(text)))  # warm-up
        times, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            gen = voice.synthesize(text)
            first = next(gen)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            gen.close()
        out[label] = {
            "median_ms": _ms(statistics.median(times)),
            "median_cpu_ms": _ms(statistics.median(cpu)),
            "max_ms": _ms(max(times)),
            "first_chunk_s": round(len(first) / SR, 2),
        }
    return out


# ------------------------------------------------------------------ instrumented session


class TimedSink:
    """A TrackSink that notes the wall time of every ``play`` (the hand-off to the output)."""

    def __init__(self) -> None:
        from voicecoach.audio.files import TrackSink

        self.track = TrackSink("bench")
        self.name = "bench"
        self.plays: list[tuple[float, float]] = []  # (media t, wall)
        self.on_play: list[Callable[[float, float], None]] = []

    def play(self, t: float, audio: np.ndarray) -> None:
        wall = time.perf_counter()
        self.plays.append((t, wall))
        for hook in self.on_play:
            hook(t, wall)
        self.track.play(t, audio)

    def stop(self, t: float) -> None:
        self.track.stop(t)

    def drain(self) -> None:
        pass  # a track in memory: nothing left to be heard

    def interrupt(self) -> None:
        pass  # never waits

    def close(self) -> None:
        pass


class TimedPrompts:
    """Wraps a PromptCache: wall time from a prompt asked for to its first audio."""

    def __init__(self, inner: Any, sink: TimedSink) -> None:
        self.inner = inner
        self.first_audio: dict[float, tuple[str, float]] = {}  # media start -> (text, s)
        self._pending: tuple[str, float] | None = None
        sink.on_play.append(self._played)

    def prepare(self, texts: Any) -> None:
        self.inner.prepare(texts)

    def prepare_first(self, texts: Any, rate: float = 1.0) -> int:
        return self.inner.prepare_first(texts, rate)

    def get(self, text: str, *args: Any, **kwargs: Any) -> np.ndarray:
        return self.inner.get(text, *args, **kwargs)

    def stream(self, text: str, *args: Any, **kwargs: Any) -> Iterator[np.ndarray]:
        t0 = time.perf_counter()
        first = True
        for piece in self.inner.stream(text, *args, **kwargs):
            if first:
                self._pending = (text, time.perf_counter() - t0)
                first = False
            yield piece

    def _played(self, t: float, wall: float) -> None:
        if self._pending is not None:  # the first piece of a prompt
            self.first_audio[round(t, 3)] = self._pending
            self._pending = None


class TimedTranscriber:
    """Wraps a transcriber: the wall time of the latest ``transcribe`` and the media time
    it was asked at (``clock``), CPU time of all."""

    def __init__(self, inner: Any, clock: Callable[[], float] = lambda: 0.0) -> None:
        self.inner = inner
        self.clock = clock
        self.last = 0.0
        self.last_at = 0.0  # media time of the latest call
        self.last_cpu = 0.0  # CPU s (all threads) of the latest call: load does not inflate it
        self.times: list[float] = []
        self.cpu_s = 0.0  # process CPU (all threads) spent inside transcribe
        self.calls: list[tuple[float, float]] = []  # (media t, wall s) of each call

    def transcribe(self, audio: np.ndarray) -> str:
        t0, c0 = time.perf_counter(), time.process_time()
        self.last_at = self.clock()
        try:
            return self.inner.transcribe(audio)
        finally:
            self.last = time.perf_counter() - t0
            self.times.append(self.last)
            self.calls.append((self.last_at, self.last))
            self.cpu_s += time.process_time() - c0


@dataclass
class Instrumented:
    session: Any
    sink: TimedSink
    prompts: TimedPrompts
    transcriber: TimedTranscriber
    # span -> (wall s of its transcription, media time it was asked at: in the pause,
    # CPU s of that transcription)
    heard_s: dict[tuple[float, float], tuple[float, ...]] = field(default_factory=dict)
    detect_wall: list[tuple[float, float]] = field(default_factory=list)  # (media t, wall)
    decided_wall: list[tuple[str, float, float]] = field(default_factory=list)  # id, t, wall


def instrument(session: Any) -> Instrumented:
    """Hook timers into a built session (before it runs)."""
    sink = TimedSink()
    session.sink = sink
    prompts = TimedPrompts(session.prompts, sink)
    session.prompts = prompts
    tr = TimedTranscriber(session.transcriber, clock=lambda: session.t)
    session.transcriber = tr
    inst = Instrumented(session, sink, prompts, tr)

    def heard(h: Any) -> None:
        # The latest transcription made this turn's text: at the utterance's end, or
        # earlier, speculatively, while its pause ran (Session._speculate).
        inst.heard_s[(round(h.start, 3), round(h.end, 3))] = (tr.last, tr.last_at, tr.last_cpu)

    def watch(data: dict[str, Any]) -> None:
        if data["type"] == "detect":
            inst.detect_wall.append((data["t"], time.perf_counter()))

    def decided(action: Any, s: Any) -> None:
        # The engine's decision to speak: the Say action, before the session acts on it.
        if type(action).__name__ == "Say":
            inst.decided_wall.append((action.id, s.t, time.perf_counter()))

    session.on_heard.append(heard)
    session.log.watchers.append(watch)
    session.on_action.insert(0, decided)
    return inst


def pair_turns(events: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(heard, say) pairs: each coach prompt with the partner turn it answers.

    A prompt answers the latest turn heard before it started, provided it is the first
    prompt after that turn and no heat was detected during the turn or after it (then it
    answers the heat, not the turn). Prompts with no such turn (the welcome, timeouts) are left out.
    """
    heard = [e for e in events if e["type"] == "heard"]
    says = sorted((e for e in events if e["type"] == "say"), key=lambda e: e["start"])
    detects = [e["t"] for e in events if e["type"] == "detect"]
    pairs = []
    for h in heard:
        after = [s for s in says if s["start"] >= h["t"] - 1e-3]
        if not after:
            continue
        s = after[0]
        later_turn = any(h2["t"] > h["t"] and h2["t"] <= s["start"] for h2 in heard)
        heat = any(h["start"] <= d <= s["start"] for d in detects)
        spoke = any(h["end"] < s2["start"] < s["start"] for s2 in says)
        if not (later_turn or heat or spoke):
            pairs.append((h, s))
    return pairs


def end_of_turn(inst: Instrumented, events: list[dict[str, Any]]) -> dict[str, Any]:
    """End of a partner's speech -> first sample of the coach's next prompt, p50/p95.

    Live, the session stops reading the microphone while it transcribes and catches up
    after (faster than real time), so the engine's decision at media time ``say.start``
    comes at wall time max(say.start, asked + transcription) after the speech ended
    (``asked``: the media time the transcription began, in the pause when speculative);
    then the first audio."""
    rows = []
    scripts: dict[str, Any] = {}
    for h, s in pair_turns(events):
        wait = s["start"] - h["end"]
        timed = inst.heard_s.get((round(h["start"], 3), round(h["end"], 3)))
        synth = inst.prompts.first_audio.get(round(s["start"], 3))
        if timed is None or synth is None:
            continue
        trans, asked = timed[0], timed[1]
        ready = max(wait, asked - h["end"] + trans)  # text ready and decision due
        rows.append(
            {
                "kind": _turn_kind(events, h, scripts),
                "heard": h["text"][:40],
                "say": s["id"],
                "wait_ms": _ms(wait),
                "transcribe_ms": _ms(trans),
                "transcribe_cpu_ms": _ms(timed[2]) if len(timed) > 2 else None,
                "asked_after_ms": _ms(asked - h["end"]),
                "first_audio_ms": _ms(synth[1]),
                "total_ms": _ms(ready + synth[1]),
            }
        )
    totals = [r["total_ms"] for r in rows]
    by_kind: dict[str, Any] = {}
    for kind in ("answer", "message"):
        picked = [r["total_ms"] for r in rows if r.get("kind") == kind]
        by_kind[kind] = {
            "turns": len(picked),
            "p50": target(_pct(picked, 50), f"end_of_turn_{kind}_p50_ms"),
            "p95": (
                target(_pct(picked, 95), "end_of_turn_message_p95_ms")
                if kind == "message"
                else _pct(picked, 95)
            ),
        }
    parts = {
        k: {"p50": _pct([r[k] for r in rows], 50), "p95": _pct([r[k] for r in rows], 95)}
        for k in ("wait_ms", "transcribe_ms", "first_audio_ms")
    }
    return {
        "turns": len(rows),
        "p50": target(_pct(totals, 50), "end_of_turn_p50_ms"),
        "p95": target(_pct(totals, 95), "end_of_turn_p95_ms"),
        "parts": parts,
        # answer: a question's reply (ends on a short silence after a finished sentence);
        # message: a `listen` step or an introduction (people pause between sentences).
        "by_kind": by_kind,
        "worst": sorted(rows, key=lambda r: -r["total_ms"])[:3],
    }


def _turn_kind(
    events: list[dict[str, Any]], heard: dict[str, Any], scripts: dict[str, Any] | None = None
) -> str | None:
    """ "answer" or "message": the kind of the script step the turn was heard in.
    ``scripts`` keeps each script loaded once across the turns of one report (None: a
    script that could not be loaded)."""
    from voicecoach.dialogue.script import load_script

    steps = [e for e in events if e["type"] == "step" and e["t"] <= heard["t"]]
    if not steps:
        return None
    scripts = {} if scripts is None else scripts
    name = steps[-1]["script"]
    if name not in scripts:
        try:
            scripts[name] = load_script(name)
        except Exception:  # noqa: BLE001 - a script given by path may have moved: no kind
            scripts[name] = None
    step = scripts[name].steps.get(steps[-1]["step"]) if scripts[name] else None
    if step is None:
        return None
    return (
        "answer" if step.kind == "ask" else "message" if step.kind in ("listen", "enroll") else None
    )


def pause_from_detections(inst: Instrumented, events: list[dict[str, Any]]) -> list[dict]:
    """From a heat detection to the first sample of the pause prompt that followed it.

    ``detect_to_decision_media_ms``: media time from the detection to the engine's
    decision to pause (the engine waits for a gap in the speech); ``handoff_ms``: wall
    time from that decision (the Say action) to its first audio handed to the output.
    """
    out = []
    for t, _ in inst.detect_wall:
        for say_id, mt, wall in inst.decided_wall:
            if mt >= t - 1e-3 and say_id.startswith("pause."):
                play = next((pw for pt_, pw in inst.sink.plays if pw >= wall), None)
                out.append(
                    {
                        "say": say_id,
                        "detect_to_decision_media_ms": _ms(mt - t),
                        "handoff_ms": _ms(play - wall) if play is not None else None,
                    }
                )
                break
    return out


def heat_to_first_word(
    events: list[dict[str, Any]], lead_s: float = 0.0, window_s: float = 6.0
) -> list[dict[str, Any]]:
    """Each pause in a session log: from the onset of the heat to the coach's first word.

    A pause begins where the log enters the ``pause`` script; its heat is the detections in
    the ``window_s`` before its first line (the engine waits for a breath at most
    ``heat_gap_wait_s`` after the onset), and the onset is the earliest of theirs (a
    `detect` record without ``onset`` counts from its decision time). ``lead_s``: the
    silence at the start of the prompt's audio, before the first word.
    """
    out: list[dict[str, Any]] = []
    previous = ""
    for i, e in enumerate(events):
        if e["type"] != "step":
            continue
        entering = e["script"] == "pause" and previous != "pause"
        previous = e["script"]
        if not entering:
            continue
        say = next((x for x in events[i:] if x["type"] == "say"), None)
        if say is None or not say["id"].startswith("pause."):
            continue
        heat = [
            d
            for d in events[:i]
            if d["type"] == "detect" and say["start"] - window_s <= d["t"] <= say["start"]
        ]
        if not heat:
            continue  # a pause asked for by voice, or offered after a silence
        onset = min(d.get("onset", d["t"]) for d in heat)
        first = min(d["t"] for d in heat)
        out.append(
            {
                "onset_s": round(onset, 2),
                "detect_s": round(first, 2),
                "first_word_s": round(say["start"] + lead_s, 2),
                "onset_to_detect_s": round(first - onset, 2),
                "detect_to_say_s": round(say["start"] - first, 2),
                "onset_to_first_word_s": round(say["start"] + lead_s - onset, 2),
            }
        )
    return out


def leading_silence_s(audio: np.ndarray, floor_db: float = -40.0) -> float:
    """Seconds before the first 10 ms of ``audio`` above ``floor_db`` (dBFS RMS)."""
    hop = SR // 100
    for i in range(0, max(0, len(audio) - hop + 1), hop):
        if _level_db(audio[i : i + hop]) > floor_db:
            return i / SR
    return len(audio) / SR


def heat_summary(delays: list[dict[str, Any]]) -> dict[str, Any]:
    values = [d["onset_to_first_word_s"] for d in delays]
    return {
        "n": len(values),
        "pauses": delays,
        "median_s": target(
            statistics.median(values) if values else None, "heat_to_first_word_median_s", "s"
        ),
        "max_s": target(max(values) if values else None, "heat_to_first_word_max_s", "s"),
    }


# ------------------------------------------------------------------ dialogue (demo)


def piper_partners(voice: Any, names: list[str]) -> dict[str, Any]:
    """Two simulated partners from the coach's own Piper model, the second pitched up.

    Rendering them costs ~0.05 s per second of speech, against ~0.5 s for the demo's
    Kokoro voice: on a loaded 2-core machine that decides whether the bench takes
    minutes or a quarter of an hour. Effort (raised voices) works as in the demo.
    """
    from voicecoach.lab.partners import PartnerVoice
    from voicecoach.speech.resample import resample

    def renderer(pitch: float) -> Callable[[str, float], np.ndarray]:
        def render(text: str, speed: float) -> np.ndarray:
            audio = voice.render(text, length_scale=pitch / speed)
            if pitch == 1.0:
                return audio
            return resample(audio, int(round(SR * pitch, -2)), SR)

        return render

    return {
        names[0]: PartnerVoice(names[0], renderer(1.0), gender="male"),
        names[1]: PartnerVoice(names[1], renderer(1.3), gender="female"),
    }


def measure_dialogue(models: Any, *, quick: bool, voices: str = "demo") -> dict[str, Any]:
    """Run the `heated` demo scenario instrumented: end-of-turn latency and pause hand-off.

    ``voices``: "demo" (the demo's own joe + Kokoro voices, slow to render) or "piper"
    (both partners from the Piper model, fast; but the raised-voice detector does not
    fire on the pitched Piper voice's fight, so the run never reaches the pause).
    """
    from voicecoach.app import build_session
    from voicecoach.demo.room import SimulatedRoom
    from voicecoach.demo.scenario import load_scenario
    from voicecoach.lab.partners import partner_voice

    sc = load_scenario("heated")
    if voices == "demo":
        partner_voices = {name: partner_voice(v) for name, v in sc.partners.items()}
    else:
        partner_voices = piper_partners(models.voice, list(sc.partners))
    room = SimulatedRoom(sc, partner_voices)
    names = list(sc.partners)
    # --quick stops after the pause and the safety question; the full run is the whole story.
    max_s = 100.0 if quick else 300.0
    session = build_session(
        models=models,
        sink=TimedSink(),
        partners=(names[0], names[1]),
        script="session",
        echo=False,
        max_seconds=max_s,
    )
    inst = instrument(session)
    room.attach(session)
    t0 = time.perf_counter()
    reason = session.run(room)
    wall = time.perf_counter() - t0
    events = session.log.dicts()
    return {
        "scenario": "heated",
        "partner_voices": voices,
        "end": reason,
        "media_s": round(session.t, 1),
        "wall_s": round(wall, 1),
        "detections": sum(e["type"] == "detect" for e in events),
        "end_of_turn": end_of_turn(inst, events),
        # transcriptions made while a pause ran, and how many of them a turn used
        "speculative": {"made": session.guesses, "used": session.guesses_used},
        "pause_handoff": pause_from_detections(inst, events),
        "heat_to_first_word": heat_to_first_word(events, _pause_lead_s(session)),
    }


def _pause_lead_s(session: Any) -> float:
    """The leading silence of the pause's first line, as the session synthesized it."""
    from voicecoach.dialogue.script import load_script

    first = next(iter(load_script("pause").steps.values()))
    return leading_silence_s(session.prompts.get(first.text or ""))


def measure_heat(models: Any, scenarios: tuple[str, ...] = ("unsafe",)) -> list[dict[str, Any]]:
    """More pauses for heat_to_first_word: other demo scenarios, up to their first pause."""
    from voicecoach.app import build_session
    from voicecoach.demo.room import SimulatedRoom
    from voicecoach.demo.scenario import load_scenario
    from voicecoach.lab.partners import partner_voice

    out: list[dict[str, Any]] = []
    for name in scenarios:
        sc = load_scenario(name)
        room = SimulatedRoom(sc, {n: partner_voice(v) for n, v in sc.partners.items()})
        names = list(sc.partners)
        session = build_session(
            models=models,
            sink=TimedSink(),
            partners=(names[0], names[1]),
            script="session",
            echo=False,
            max_seconds=100.0,
        )
        inst = instrument(session)
        room.attach(session)
        session.run(room)
        # The scenario's own truth beside the detectors' onset: its first raised line.
        raised = [r["start"] for r in room.timeline() if r["effort"] > 0]
        for d in heat_to_first_word(session.log.dicts(), _pause_lead_s(session)):
            scripted = min(raised, default=None)
            if scripted is not None:
                d["scripted_escalation_s"] = round(scripted, 2)
                d["escalation_to_first_word_s"] = round(d["first_word_s"] - scripted, 2)
            # Whisper's wall time between the onset and the pause: in a live room the loop
            # is that much behind the microphone, so the pause is that much later.
            busy = [s for t, s in inst.transcriber.calls if d["onset_s"] <= t < d["first_word_s"]]
            d["transcribing_before_pause_wall_s"] = round(sum(busy), 2)
            out.append({"scenario": name, **d})
    return out


def measure_pause_handoff(models: Any, runs: int) -> dict[str, Any]:
    """Entering the pause script -> first sample handed to the output (pre-synthesized)."""
    from voicecoach import eventlog as ev
    from voicecoach.app import build_session, make_engine
    from voicecoach.session import Session

    base = build_session(models=models, sink=TimedSink(), partners=("A", "B"), echo=False)
    times = []
    text = ""
    for _ in range(runs):
        sink = TimedSink()
        engine = make_engine("pause", ("A", "B"))
        s = Session(
            listener=base.listener,
            transcriber=base.transcriber,
            engine=engine,  # type: ignore[arg-type]
            prompts=base.prompts,
            sink=sink,
            log=ev.EventLog(),
        )
        t0 = time.perf_counter()
        actions = engine.start(0.0)  # the engine's decision: speak the pause
        s._apply(actions)
        if sink.plays:
            times.append(sink.plays[0][1] - t0)
            text = s.speaking.text if s.speaking else text
    return {
        "median_ms": _ms(statistics.median(times)) if times else None,
        "max_ms": _ms(max(times)) if times else None,
        "runs": len(times),
        "prompt": text[:60],
    }


# ------------------------------------------------------------------ echo (simulated path)


def echo_impulse(delay_ms: float = 60.0, gain: float = 0.5, seed: int = 0) -> np.ndarray:
    """A laptop-like echo path: delay, -6 dB, and a short decaying reverb tail."""
    rng = np.random.default_rng(seed)
    d, tail_len = int(delay_ms * SR / 1000), int(0.15 * SR)
    h = np.zeros(d + tail_len)
    h[d] = gain
    decay = np.exp(-np.arange(tail_len) / (0.03 * SR))
    h[d:] += rng.standard_normal(tail_len) * decay * gain * 0.15
    return h.astype(np.float32)


class EchoRoom:
    """AudioSource: a room whose mic hears the partners plus the coach's own echo, cleaned.

    Wraps another source (the partners). The coach's voice is read back from the session's
    sink on media time (the session plays at its current time, so it is always known
    before the frame that carries its echo), sent through ``impulse`` and then through
    the echo canceller with the coach's voice as the far end, as EchoCancelledMic does.
    ``barge_at``: seconds into the first prompt of at least 3 s at which ``barge`` (a
    partner's audio) starts over the coach.
    """

    name = "echo room"

    def __init__(
        self,
        room: Any,
        track: Any,
        canceller: Any,
        *,
        impulse: np.ndarray | None = None,
        session: Any = None,
        barge: np.ndarray | None = None,
        barge_at: float = 1.5,
    ) -> None:
        self.room = room
        self.track = track
        self.aec = canceller
        self.h = echo_impulse() if impulse is None else impulse
        self.session = session
        self.barge = barge
        self.barge_at = barge_at
        self.barge_start: int | None = None
        self.n = 0
        self.far: list[np.ndarray] = []
        self.partners: list[np.ndarray] = []
        self.raw: list[np.ndarray] = []
        self.clean: list[np.ndarray] = []

    def _coach(self, lo: int, hi: int) -> np.ndarray:
        audio = self.track.audio()
        out = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, len(audio))
        if b > a:
            out[a - lo : b - lo] = audio[a:b]
        return out

    def _maybe_barge(self) -> None:
        s = self.session
        if self.barge is None or self.barge_start is not None or s is None or s.speaking is None:
            return
        if s.speaking.end - s.speaking.start >= 3.0:
            self.barge_start = int((s.speaking.start + self.barge_at) * SR)

    def chunks(self) -> Iterator[np.ndarray]:
        for frame in self.room.chunks():
            frame = np.asarray(frame, np.float32).copy()
            lo, hi = self.n, self.n + len(frame)
            self._maybe_barge()
            if self.barge_start is not None and self.barge is not None:
                a, b = max(lo, self.barge_start), min(hi, self.barge_start + len(self.barge))
                if b > a:
                    frame[a - lo : b - lo] += self.barge[
                        a - self.barge_start : b - self.barge_start
                    ]
            far = self._coach(lo, hi)
            history = self._coach(lo - len(self.h) + 1, hi)
            echo = np.convolve(history, self.h, mode="valid").astype(np.float32)
            mic = frame + echo
            out = self.aec.process(mic, far) if self.aec is not None else mic
            self.far.append(far)
            self.partners.append(frame)
            self.raw.append(mic)
            self.clean.append(out)
            self.n = hi
            yield out

    def interrupt(self) -> None:
        pass  # simulated: never waits

    def close(self) -> None:
        self.room.close()

    def signals(self) -> dict[str, np.ndarray]:
        cat = np.concatenate
        lat = getattr(self.aec, "latency_samples", 0)
        clean = cat(self.clean)
        # Undo the canceller's constant delay so the signals line up sample for sample.
        clean = np.concatenate([clean[lat:], np.zeros(lat, np.float32)])
        return {
            "far": cat(self.far),
            "partners": cat(self.partners),
            "raw": cat(self.raw),
            "clean": clean,
        }


class SilentRoom:
    """Partners who never speak: an endless quiet source (for barge-in runs)."""

    name = "silent room"

    def __init__(self, seed: int = 1) -> None:
        self._rng = np.random.default_rng(seed)

    def chunks(self) -> Iterator[np.ndarray]:
        while True:
            # -70 dBFS room noise: real microphones are never digitally silent.
            yield (self._rng.standard_normal(FRAME_SAMPLES) * 3e-4).astype(np.float32)

    def interrupt(self) -> None:
        pass  # simulated: never waits

    def close(self) -> None:
        pass


def coach_overlaps(events: list[dict[str, Any]], tail_s: float = 0.3) -> list[dict[str, Any]]:
    """detect/heard events that overlap the coach's own speech (plus its echo tail)."""
    says = [(e["start"], e["end"] + tail_s) for e in events if e["type"] == "say"]
    bad = []
    for e in events:
        if e["type"] == "heard":
            span = (e["start"], e["end"])
        elif e["type"] == "detect":
            span = (e["t"] - 0.5, e["t"])  # a detector fires on the last half second
        else:
            continue
        if any(span[0] < b and span[1] > a for a, b in says):
            bad.append({"type": e["type"], "t": e["t"], "text": e.get("text", e.get("kind"))})
    return bad


def measure_echo_sim(models: Any, *, quick: bool) -> dict[str, Any]:
    """The coach's voice through a simulated echo path into the mic, cancelled.

    Runs the `appreciation` script with simulated partners answering: the level of the
    coach's voice left in the processed mic, and any detect/heard from the coach itself.
    """
    from voicecoach.app import build_session
    from voicecoach.audio.echo import EchoCanceller
    from voicecoach.demo.room import SimulatedRoom, active_level_db
    from voicecoach.demo.scenario import load_scenario

    sc = load_scenario("heated")
    names = list(sc.partners)
    voices = piper_partners(models.voice, names)
    room = SimulatedRoom(sc, voices)
    session = build_session(
        models=models,
        sink=TimedSink(),
        partners=(names[0], names[1]),
        script="appreciation",
        echo=False,
        max_seconds=60.0,
    )
    # Voices learned beforehand, as the `session` script's enrolment would: appreciation
    # does not enrol, and an unenrolled voice ("speaker1") never gets the floor.
    for name, step in zip(names, ("session.enroll_first", "session.enroll_second"), strict=True):
        line = sc.answer(name, step, 0)
        if line is not None:
            audio = voices[name].render(line.text)
            gain_db = room.levels_db[name] - active_level_db(audio)  # as the room plays it
            session.listener.enroll(name, audio * np.float32(10 ** (gain_db / 20)))
    sink = session.sink
    assert isinstance(sink, TimedSink)
    source = EchoRoom(room, sink.track, EchoCanceller())
    room.attach(session)
    reason = session.run(source)
    events = session.log.dicts()
    sig = source.signals()
    far, partners, raw, clean = sig["far"], sig["partners"], sig["raw"], sig["clean"]
    # Coach-only stretches, after the canceller's first second of learning.
    coach_on = np.flatnonzero(np.abs(far) > 1e-3)
    mask = np.zeros(len(far), bool)
    if len(coach_on):
        mask[coach_on[0] + SR :] = True
    frames = len(far) // 160
    active = np.repeat(
        (np.abs(far[: frames * 160]).reshape(-1, 160).max(1) > 0.01)
        & (np.abs(partners[: frames * 160]).reshape(-1, 160).max(1) < 1e-4),
        160,
    )
    mask[: len(active)] &= active
    mask[len(active) :] = False
    echo = raw - partners
    heard = [e["text"] for e in events if e["type"] == "heard"]
    bad = coach_overlaps(events)
    return {
        "path": "simulated: 60 ms delay, -6 dB, 150 ms reverb tail; WebRTC AEC3",
        "script": "appreciation",
        "end": reason,
        "backend": EchoCanceller().backend,
        "coach_only_s": round(float(mask.sum()) / SR, 1),
        "echo_in_mic_db_below_coach": round(_level_db(far[mask]) - _level_db(echo[mask]), 1),
        "left_db_below_coach": round(_level_db(far[mask]) - _level_db(clean[mask]), 1),
        "reduction_db": round(_level_db(echo[mask]) - _level_db(clean[mask]), 1),
        "heard": heard,
        "detects": sum(e["type"] == "detect" for e in events),
        "events_from_coach": target(float(len(bad)), "echo_events_from_coach", "events"),
        "events_from_coach_list": bad,
    }


def measure_barge_in_sim(models: Any) -> dict[str, Any]:
    """A partner talks over the coach's long welcome (simulated echo path, AEC on).

    Media time from the partner's onset to the coach's voice cut (``say.end``).
    """
    from voicecoach.app import build_session
    from voicecoach.audio.echo import EchoCanceller

    session = build_session(
        models=models, sink=TimedSink(), partners=("Alex", "Sam"), echo=False, max_seconds=25.0
    )
    if not hasattr(session, "barge_in"):
        return {"available": False, "why": "this session has no barge-in"}
    barge = partner_speech(models.voice, BARGE_LINE, pitch=1.2)
    assert isinstance(session.sink, TimedSink)
    source = EchoRoom(
        SilentRoom(), session.sink.track, EchoCanceller(), session=session, barge=barge
    )
    session.run(source)
    events = session.log.dicts()
    if source.barge_start is None:
        return {"available": True, "why": "no prompt long enough to talk over"}
    # The partner's first audible sample, not the start of the clip's lead-in silence.
    loud = np.flatnonzero(np.abs(barge) > 0.02 * np.abs(barge).max())
    onset = (source.barge_start + int(loud[0])) / SR
    cut = [e for e in events if e["type"] == "say" and e["start"] <= onset <= e["end"] + 1e-3]
    barge_rec = [e for e in events if e["type"] == "barge_in"]
    heard = [e["text"] for e in events if e["type"] == "heard" and e["end"] >= onset]
    stop = (cut[0]["end"] - onset) if cut and barge_rec else None
    return {
        "available": True,
        "prompt": cut[0]["id"] if cut else None,
        "barge_in_records": len(barge_rec),
        "onset_to_voice_cut_ms": _ms(stop) if stop is not None else None,
        "heard_after": heard,
    }


# ------------------------------------------------------------------ parts in a fresh process


def start_part(name: str, quick: bool) -> subprocess.Popen[str]:
    """Start ``python -m voicecoach.lab.bench <name>`` in a fresh interpreter."""
    cmd = [sys.executable, "-m", "voicecoach.lab.bench", name] + (["--quick"] if quick else [])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def collect_part(proc: subprocess.Popen[str], name: str, timeout: float) -> dict[str, Any]:
    """The JSON a part printed last (or what went wrong)."""
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"{name} did not finish in {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": stderr.strip()[-600:]}
    try:
        return json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"no JSON from {name}: {stdout[-300:]} {stderr[-300:]}"}


def run_part(name: str, quick: bool, timeout: float) -> dict[str, Any]:
    return collect_part(start_part(name, quick), name, timeout)


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process, MB (VmRSS, VmHWM)."""
    cur = peak = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    if not peak:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(cur, 1), round(peak, 1)


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class CalmSource:
    """``seconds`` of a quiet room with a calm sentence now and then, from two voices.

    Sentences start every ``every`` seconds, alternating partners; the rest is -70 dBFS
    noise. Generated chunk by chunk so the signal itself costs no memory.
    """

    name = "calm room"

    def __init__(self, lines: list[np.ndarray], seconds: float, every: float = 25.0) -> None:
        self.lines = lines
        self.total = int(seconds * SR)
        self.every = int(every * SR)
        # 14 s: just after the welcome and the first enrolment question (an answer to it).
        self.first = int(14.0 * SR)
        self.rss_peak_mb = 0.0
        self._rng = np.random.default_rng(2)

    def chunks(self) -> Iterator[np.ndarray]:
        block = 4096
        for lo in range(0, self.total, block):
            hi = min(lo + block, self.total)
            out = (self._rng.standard_normal(hi - lo) * 3e-4).astype(np.float32)
            k = max(0, (lo - self.first) // self.every)
            for i in (k, k + 1):
                start = self.first + i * self.every
                line = self.lines[i % len(self.lines)]
                a, b = max(lo, start), min(hi, start + len(line))
                if b > a:
                    out[a - lo : b - lo] += line[a - start : b - start]
            if lo % (10 * SR) < block:
                self.rss_peak_mb = max(self.rss_peak_mb, _rss_mb()[0])
            yield out

    def interrupt(self) -> None:
        pass  # simulated: never waits

    def close(self) -> None:
        pass


def part_idle(quick: bool) -> dict[str, Any]:
    """Idle listening: CPU and memory of a session (base loaded) on calm talk and silence."""
    from voicecoach.app import build_session, shared_models
    from voicecoach.audio.files import TrackSink

    seconds = 120.0 if quick else 600.0
    models = shared_models("base")
    voice = models.voice
    lines = [
        partner_speech(voice, text, pitch=1.0 if i % 2 == 0 else 1.2)
        for i, text in enumerate(CALM_LINES)
    ]
    session = build_session(models=models, sink=TrackSink(), partners=("Alex", "Sam"), echo=False)
    tr = TimedTranscriber(session.transcriber, clock=lambda: session.t)
    session.transcriber = tr
    source = CalmSource(lines, seconds)
    monitor: list[tuple[float, float, float]] = []  # (media t, cpu s, transcribe cpu s)

    def on_action(action: Any, s: Any) -> None:
        if getattr(action, "step", None) == "monitor" and not monitor:
            monitor.append((s.t, _cpu_s(), tr.cpu_s))

    session.on_action.append(on_action)
    rss_before, _ = _rss_mb()
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    reason = session.run(source)
    cpu_end = _cpu_s()
    cpu, wall = cpu_end - cpu0, time.perf_counter() - wall0
    rss, peak = _rss_mb()
    events = session.log.dicts()
    media = session.t
    # Idle is the quiet listening after the welcome and the enrolment (whose prompts
    # are synthesized on the spot and cost CPU once per session).
    t_mon, cpu_mon, tr_mon = monitor[0] if monitor else (0.0, cpu0, 0.0)
    listening = max(media - t_mon, 1e-9)
    idle = 100.0 * (cpu_end - cpu_mon) / listening
    transcribing = 100.0 * (tr.cpu_s - tr_mon) / listening
    return {
        "media_s": round(media, 1),
        "end": reason,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_percent_whole_session": round(100.0 * cpu / max(media, 1e-9), 1),
        "listening_from_s": round(t_mon, 1),
        "cpu_percent_of_one_core": target(idle, "idle_cpu_percent", "%"),
        "of_which_transcription_percent": round(transcribing, 1),
        "transcriptions": len(tr.times),
        "transcribe_wall_s_median": round(statistics.median(tr.times), 2) if tr.times else None,
        "rss_mb": target(rss, "idle_rss_mb", "MB"),
        "rss_before_run_mb": rss_before,
        "rss_peak_during_run_mb": max(source.rss_peak_mb, rss),
        "rss_peak_process_mb": peak,
        "heard": sum(e["type"] == "heard" for e in events),
        "detects": sum(e["type"] == "detect" for e in events),
        "says": sum(e["type"] == "say" for e in events),
    }


# ------------------------------------------------------------------ devices (fresh process)


def _frame_rms(x: np.ndarray) -> np.ndarray:
    n = len(x) // 160 * 160
    return np.sqrt(np.mean(x[:n].reshape(-1, 160) ** 2, axis=1))


def _device_output(devices: Any, virtual: Any) -> dict[str, Any]:
    tone = (0.4 * np.sin(2 * np.pi * 440 * np.arange(SR // 2) / SR)).astype(np.float32)
    with (
        virtual.Recorder(virtual.PA_SPEAKER_MONITOR, clock=time.perf_counter) as rec,
        devices.SpeakerSink("vc_speaker") as sink,
    ):
        time.sleep(0.3)
        t_play = time.perf_counter()
        sink.play(0.0, tone)
        sink.wait(timeout=5)
        time.sleep(0.4)
        latency = sink.latency
        counters = sink.counters()
    loud = np.flatnonzero(_frame_rms(rec.audio()) > 0.1)
    heard = _ms(rec.arrival(int(loud[0]) * 160) - t_play) if len(loud) else None
    return {
        "output_latency_ms": _ms(latency),
        "play_to_monitor_ms": heard,
        "underflows": counters["underflows"],
    }


def _device_stop(devices: Any, virtual: Any) -> dict[str, Any]:
    tone = (0.4 * np.sin(2 * np.pi * 440 * np.arange(3 * SR) / SR)).astype(np.float32)
    with (
        virtual.Recorder(virtual.PA_SPEAKER_MONITOR, clock=time.perf_counter) as rec,
        devices.SpeakerSink("vc_speaker") as sink,
    ):
        time.sleep(0.3)
        sink.play(0.0, tone)
        time.sleep(1.0)
        t_stop = time.perf_counter()
        sink.stop(1.0)
        sink.wait(timeout=1.0)
        time.sleep(0.5)
    loud = np.flatnonzero(_frame_rms(rec.audio()) > 0.1)
    if not len(loud):
        return {"stop_to_silent_ms": None}
    # Includes the monitor capture's own latency: an upper bound of what a listener hears.
    return {"stop_to_silent_ms": _ms(rec.arrival((int(loud[-1]) + 1) * 160 - 1) - t_stop)}


def _device_echo(devices: Any, virtual: Any, audio_dir: Path, coach: np.ndarray) -> dict[str, Any]:
    from voicecoach.audio.echo import EchoCanceller

    module = virtual.load_echo_loopback(latency_ms=60, volume=0.5, audio_dir=audio_dir)
    sink = devices.SpeakerSink("vc_speaker")
    mic = devices.MicSource("virtmic")
    aec = EchoCanceller()
    raw, far, clean = [], [], []
    n = 0
    input_latency = 0.0
    try:
        for t, chunk in mic.timed_chunks():
            input_latency = mic.latency
            ref = sink.far_end(t + devices.FAR_END_LEAD_S, len(chunk))
            raw.append(chunk)
            far.append(ref)
            clean.append(aec.process(chunk, ref))
            n += len(chunk)
            if n >= int(0.3 * SR) and sink.counters()["played_samples"] == 0 and not sink.busy:
                sink.play(0.0, coach)
            elif sink.counters()["played_samples"] and not sink.busy:
                break
            if n > 30 * SR:
                break
    finally:
        mic.close()
        sink.close()
        virtual.unload_module(module, audio_dir)
    x, f, y = np.concatenate(raw), np.concatenate(far), np.concatenate(clean)
    lat = aec.latency_samples
    y = np.concatenate([y[lat:], np.zeros(lat, np.float32)])
    on = np.flatnonzero(np.abs(f) > 0.01)
    if not len(on):
        return {"error": "the coach's voice never reached the far end"}
    seg = slice(int(on[0]) + SR, int(on[-1]))
    return {
        "path": "PulseAudio loopback speaker.monitor -> mic, 60 ms, -6 dB; EchoCancelledMic",
        "backend": aec.backend,
        "echo_in_mic_db_below_coach": round(_level_db(f[seg]) - _level_db(x[seg]), 1),
        "left_db_below_coach": round(_level_db(f[seg]) - _level_db(y[seg]), 1),
        "reduction_db": round(_level_db(x[seg]) - _level_db(y[seg]), 1),
        "overflows": mic.counters()["overflows"],
        "underflows": sink.counters()["underflows"],
        "input_latency_ms": _ms(input_latency),
    }


def part_devices(quick: bool) -> dict[str, Any]:
    """Output latency, stop time and the real echo loop on virtual PulseAudio devices."""
    import shutil

    from voicecoach.errors import UserError
    from voicecoach.lab import virtual

    audio_dir = Path(tempfile.mkdtemp(prefix="vcb-"))
    try:
        va = virtual.start(audio_dir, install=False)
    except UserError as exc:
        shutil.rmtree(audio_dir, ignore_errors=True)
        return {"available": False, "why": str(exc)}
    try:
        from voicecoach.audio import devices
        from voicecoach.speech.tts import PiperSpeaker

        virtual.rescan()
        coach = PiperSpeaker().render(THREE_SENTENCES)
        out: dict[str, Any] = {"available": True, "device": "virtual (PulseAudio null sink)"}
        out["output"] = _device_output(devices, virtual)
        out["stop"] = _device_stop(devices, virtual)
        out["echo"] = _device_echo(devices, virtual, audio_dir, coach)
        return out
    finally:
        if va.started:
            virtual.stop(audio_dir)
        shutil.rmtree(audio_dir, ignore_errors=True)


# ------------------------------------------------------------------ the whole bench


def _guard(name: str, fn: Callable[[], Any]) -> Any:
    """One failing measurement is reported, the others still run."""
    try:
        return fn()
    except Exception as exc:  # a benchmark reports every failure instead of stopping
        log.exception("bench part %s failed", name)
        return {"error": f"{type(exc).__name__}: {exc}"}


def dev_audio(data: Path | None = None) -> Path | None:
    """The development speech (``../shared/dev-audio`` by default), if it is here."""
    for path in [data] if data is not None else [Path.cwd() / ".." / "shared" / "dev-audio"]:
        if path is not None and path.is_dir():
            return path
    return None


def measure_on_dev_speech(data: Path | None, quick: bool) -> dict[str, Any]:
    """Transcription side by side with stock faster-whisper, and turn-end cut-offs and
    latency on real conversation (issue #19), on the development speech's validation
    speakers (`voicecoach.lab.sttcompare`, `voicecoach.lab.turntaking`)."""
    from voicecoach.lab import sttcompare, turntaking

    if data is None:
        skipped = {"skipped": "no development speech (../shared/dev-audio, or --data DIR)"}
        return {"transcription_vs_stock": skipped, "turn_ends_in_conversation": skipped}
    return {
        "transcription_vs_stock": _guard(
            "stt-compare", lambda: sttcompare.compare(data, quick=quick)
        ),
        "turn_ends_in_conversation": _guard(
            "turn-taking", lambda: turntaking.measure(data, quick=quick)
        ),
    }


def run_bench(quick: bool = False, data: Path | None = None) -> dict[str, Any]:
    """Measure everything; a dict of numbers, each next to its target (see TARGETS).
    ``data``: the development speech for the dev-speech parts (default ../shared/dev-audio)."""
    from voicecoach.app import shared_models
    from voicecoach.speech.whisper import WhisperTranscriber

    t_start = time.perf_counter()
    out: dict[str, Any] = {"quick": quick, "machine": _machine()}
    runs = 2 if quick else 3
    # The device part mostly waits on real-time audio: it runs beside the rest.
    devices_proc = start_part("devices", quick)
    models = shared_models("base")
    speech = partner_speech(models.voice, LONG_LINE)
    out["transcription"] = _guard(
        "transcription",
        lambda: measure_transcription(
            {"tiny.en": WhisperTranscriber("tiny.en"), "base": models.transcriber},
            speech,
            (1.0, 3.0, 6.0),
            runs,
        ),
    )
    out["synthesis"] = _guard("synthesis", lambda: measure_synthesis(models.voice, 2 * runs + 1))
    dialogue = _guard("dialogue", lambda: measure_dialogue(models, quick=quick))
    handoff = _guard("pause", lambda: measure_pause_handoff(models, 10))
    more_heat = _guard("heat", lambda: measure_heat(models))
    devices = collect_part(devices_proc, "devices", timeout=180)
    out["dialogue"] = dialogue
    out["pause_prompt"] = _pause_summary(dialogue, handoff, devices)
    heated = dialogue.get("heat_to_first_word") if isinstance(dialogue, dict) else None
    delays = [{"scenario": "heated", **d} for d in heated or []]
    delays += more_heat if isinstance(more_heat, list) else []
    out["heat_to_first_word"] = heat_summary(delays)
    out["echo"] = {
        "simulated": _guard("echo", lambda: measure_echo_sim(models, quick=quick)),
        "virtual_loopback": devices.get("echo") or devices,
    }
    out["barge_in"] = _barge_summary(_guard("barge", lambda: measure_barge_in_sim(models)), devices)
    out["idle"] = run_part("idle", quick, timeout=300 if quick else 900)
    out.update(measure_on_dev_speech(dev_audio(data), quick))
    out["devices"] = {k: v for k, v in devices.items() if k != "echo"}
    out["targets"] = summary(out)
    out["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    out["notes"] = NOTES
    out["bench_s"] = round(time.perf_counter() - t_start, 1)
    return out


def _pause_summary(dialogue: Any, handoff: Any, devices: dict[str, Any]) -> dict[str, Any]:
    demo = dialogue.get("pause_handoff") if isinstance(dialogue, dict) else None
    handed = handoff.get("max_ms") if isinstance(handoff, dict) else None
    # The target runs from the engine's decision; how long the engine took to decide after
    # the detection is reported beside it (detect_to_decision_media_ms).
    in_demo = [d["handoff_ms"] for d in demo or [] if d["handoff_ms"] is not None]
    if in_demo:
        handed = max([*in_demo, handed or 0.0])
    latency = (devices.get("output") or {}).get("output_latency_ms")
    reported = (handed or 0.0) + (latency or 0.0) if handed is not None else None
    return {
        "detection_to_handoff_in_demo": demo,
        "decision_to_handoff_microbench": handoff,
        "output_latency_ms": latency,
        "reported": "worst hand-off + virtual device output latency (SpeakerSink.latency)"
        if latency is not None
        else "worst hand-off only (no audio output device)",
        "decision_to_first_sample_ms": target(reported, "pause_prompt_ms"),
    }


def _barge_summary(sim: Any, devices: dict[str, Any]) -> dict[str, Any]:
    cut = sim.get("onset_to_voice_cut_ms") if isinstance(sim, dict) else None
    stop = (devices.get("stop") or {}).get("stop_to_silent_ms")
    mic_in = (devices.get("echo") or {}).get("input_latency_ms")
    total = cut + (stop or 0.0) + (mic_in or 0.0) if cut is not None else None
    return {
        "session": sim,
        "device_stop_to_silent_ms": stop,
        "input_latency_ms": mic_in,
        "reported": "session cut (media) + mic input latency + device stop->silent on the "
        "monitor; a lower bound: a session running behind the mic adds its backlog "
        "(tests/test_live_session.py measures the whole live path)"
        if stop is not None
        else "session cut (media) only",
        "onset_to_silence_ms": target(total, "barge_in_stop_ms"),
    }


def summary(out: dict[str, Any]) -> dict[str, Any]:
    """Every target with its value and met/missed, in one place."""

    def get(*path: str) -> Any:
        node: Any = out
        for key in path:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    def transcribe(model: str) -> dict[str, Any]:
        return target(get("transcription", model, "3s", "median_ms"), f"transcribe_3s_{model}_ms")

    return {
        "pause_prompt": get("pause_prompt", "decision_to_first_sample_ms"),
        "end_of_turn_p50": get("dialogue", "end_of_turn", "p50"),
        "end_of_turn_p95": get("dialogue", "end_of_turn", "p95"),
        "transcribe_3s_tiny.en": transcribe("tiny.en"),
        "transcribe_3s_base": transcribe("base"),
        "first_audio_one_sentence": target(
            get("synthesis", "one_sentence", "median_ms"), "first_audio_ms"
        ),
        "first_audio_three_sentences": target(
            get("synthesis", "three_sentences", "median_ms"), "first_audio_ms"
        ),
        # In the session a reply's first sentence is usually made while the partner speaks.
        "first_audio_in_session_p95": target(
            get("dialogue", "end_of_turn", "parts", "first_audio_ms", "p95"), "first_audio_ms"
        ),
        "idle_cpu": get("idle", "cpu_percent_of_one_core"),
        "idle_rss": get("idle", "rss_mb"),
        "echo_events_from_coach": get("echo", "simulated", "events_from_coach"),
        "barge_in_stop": get("barge_in", "onset_to_silence_ms"),
        "heat_to_first_word_median": get("heat_to_first_word", "median_s"),
        "heat_to_first_word_max": get("heat_to_first_word", "max_s"),
        "end_of_turn_answer_p50": get("dialogue", "end_of_turn", "by_kind", "answer", "p50"),
        "end_of_turn_message_p50": get("dialogue", "end_of_turn", "by_kind", "message", "p50"),
        "end_of_turn_message_p95": get("dialogue", "end_of_turn", "by_kind", "message", "p95"),
        "transcription_vs_stock_validation": get("transcription_vs_stock", "validation"),
        "cut_offs_real_dialogues_validation": get(
            "turn_ends_in_conversation", "conversations", "message", "validation"
        ),
    }


def part_heat(quick: bool) -> dict[str, Any]:
    """Onset of the heat -> the coach's first word, on the demo scenarios (to the pause)."""
    from voicecoach.app import shared_models

    scenarios = ("heated",) if quick else ("heated", "unsafe")
    return heat_summary(measure_heat(shared_models("base"), scenarios))


PARTS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "idle": part_idle,
    "devices": part_devices,
    "heat": part_heat,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.lab.bench")
    parser.add_argument("part", nargs="?", choices=["all", *PARTS], default="all")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = run_bench(args.quick) if args.part == "all" else PARTS[args.part](args.quick)
    # One line: run_part reads the last line of a part's output.
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
