"""Smoke tests of `voicecoach bench` pieces on tiny inputs: shapes and types, never timings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from voicecoach.lab import bench

SR = 16_000


class FakeTranscriber:
    window = None  # the padded 30 s path

    def transcribe(self, audio: np.ndarray) -> str:
        return f"{len(audio) / SR:.0f} seconds"


class FakeVoice:
    length_scale = 1.0
    by_sentence = True

    def synthesize(self, text: str, **kw: Any) -> Iterator[np.ndarray]:
        for sentence in text.split("."):
            if sentence.strip():
                yield np.full(SR // 2, 0.1, np.float32)

    def render(self, text: str, **kw: Any) -> np.ndarray:
        return np.concatenate(list(self.synthesize(text)))


def _is_ms(x: Any) -> bool:
    return isinstance(x, float) and x >= 0.0


def test_target_marks_met_missed_and_unknown() -> None:
    assert bench.target(100.0, "pause_prompt_ms")["met"] is True
    assert bench.target(151.0, "pause_prompt_ms")["met"] is False
    assert bench.target(None, "pause_prompt_ms") == {
        "value": None,
        "target": "<= 150 ms",
        "met": None,
    }


def test_transcription_and_synthesis_give_numbers() -> None:
    speech = np.zeros(7 * SR, np.float32)
    out = bench.measure_transcription({"fake": FakeTranscriber()}, speech, (1.0, 3.0), runs=2)
    assert _is_ms(out["fake"]["1s"]["median_ms"]) and out["fake"]["3s"]["text"] == "3 seconds"
    syn = bench.measure_synthesis(FakeVoice(), runs=2)
    assert _is_ms(syn["one_sentence"]["median_ms"]) and _is_ms(syn["three_sentences"]["max_ms"])
    assert syn["one_sentence"]["first_chunk_s"] == 0.5


def test_each_prompt_is_paired_with_the_turn_it_answers() -> None:
    events = [
        {"type": "say", "t": 2.0, "id": "welcome", "start": 0.0, "end": 2.0},
        {"type": "heard", "t": 5.0, "text": "a", "start": 3.0, "end": 4.4},
        {"type": "say", "t": 7.0, "id": "ask", "start": 5.1, "end": 7.0},
        {"type": "heard", "t": 9.0, "text": "b", "start": 7.5, "end": 8.4},
        {"type": "detect", "t": 8.8, "kind": "raised_voice"},  # the next say answers heat
        {"type": "say", "t": 11.0, "id": "pause", "start": 9.0, "end": 11.0},
        {"type": "heard", "t": 13.0, "text": "c", "start": 11.5, "end": 12.4},
        {"type": "heard", "t": 14.0, "text": "d", "start": 13.1, "end": 13.4},  # same turn
        {"type": "say", "t": 16.0, "id": "next", "start": 14.2, "end": 16.0},
    ]
    pairs = [(h["text"], s["id"]) for h, s in bench.pair_turns(events)]
    assert pairs == [("a", "ask"), ("d", "next")]


def test_end_of_turn_waits_for_the_decision_or_the_text_whichever_is_later() -> None:
    sink = bench.TimedSink()
    inst = bench.Instrumented(
        session=None,
        sink=sink,
        prompts=bench.TimedPrompts(None, sink),
        transcriber=bench.TimedTranscriber(FakeTranscriber()),
    )
    # Transcribed in the pause (0.18 s after the speech) in 0.2 s: ready before the
    # decision, 0.7 s after the speech; then 50 ms to the first audio.
    inst.heard_s[(3.0, 4.4)] = (0.2, 4.58)
    inst.prompts.first_audio[5.1] = ("ask", 0.05)
    # Transcribed at the utterance's end (0.35 s) in 0.6 s: the text is the later.
    inst.heard_s[(7.0, 8.0)] = (0.6, 8.35)
    inst.prompts.first_audio[8.7] = ("next", 0.0)
    events = [
        {"type": "heard", "t": 5.0, "text": "a", "start": 3.0, "end": 4.4},
        {"type": "say", "t": 7.0, "id": "ask", "start": 5.1, "end": 6.9},
        {"type": "heard", "t": 8.4, "text": "b", "start": 7.0, "end": 8.0},
        {"type": "say", "t": 9.0, "id": "next", "start": 8.7, "end": 9.0},
    ]
    out = bench.end_of_turn(inst, events)
    assert out["turns"] == 2
    totals = sorted(r["total_ms"] for r in out["worst"])
    assert totals == pytest.approx([700 + 50, 350 + 600], abs=1)
    assert out["parts"]["wait_ms"]["p50"] == pytest.approx(700, abs=1)


def test_echo_room_mixes_the_coach_back_and_cancels_it() -> None:
    from voicecoach.audio.files import TrackSink

    track = TrackSink()
    coach = np.sin(2 * np.pi * 300 * np.arange(SR) / SR).astype(np.float32) * 0.3
    track.play(0.0, coach)
    frames = [np.zeros(480, np.float32)] * 40  # 1.2 s of silent partners

    class Room:
        def chunks(self) -> Iterator[np.ndarray]:
            yield from frames

        def close(self) -> None:
            pass

    room = bench.EchoRoom(Room(), track, None)  # no canceller: the raw echo comes through
    out = np.concatenate(list(room.chunks()))
    assert len(out) == 40 * 480
    delay = int(0.06 * SR)
    assert np.abs(out[: delay - 1]).max() == 0.0  # the echo arrives 60 ms late
    assert np.abs(out[delay:SR]).max() > 0.1
    sig = room.signals()
    assert set(sig) == {"far", "partners", "raw", "clean"}
    assert all(len(v) == len(out) for v in sig.values())


def test_calm_source_is_mostly_quiet_with_some_speech() -> None:
    line = np.full(SR, 0.1, np.float32)
    src = bench.CalmSource([line, line], seconds=60.0, every=20.0)
    audio = np.concatenate(list(src.chunks()))
    assert len(audio) == 60 * SR
    loud = np.abs(audio) > 0.05
    assert 2 * SR <= loud.sum() <= 3 * SR  # sentences at 12, 32 and 52 s


def test_coach_overlaps_finds_events_during_the_coach() -> None:
    events = [
        {"type": "say", "t": 3.0, "id": "x", "start": 1.0, "end": 3.0},
        {"type": "heard", "t": 4.0, "text": "echo", "start": 2.5, "end": 3.2},
        {"type": "heard", "t": 9.0, "text": "partner", "start": 5.0, "end": 6.0},
        {"type": "detect", "t": 2.0, "kind": "raised_voice"},
    ]
    bad = bench.coach_overlaps(events)
    assert [b["type"] for b in bad] == ["heard", "detect"]


def test_summary_survives_missing_parts() -> None:
    out = bench.summary({"transcription": {"error": "boom"}})
    assert out["transcribe_3s_base"]["met"] is None
    assert set(out) >= {"pause_prompt", "end_of_turn_p50", "idle_cpu", "barge_in_stop"}


@pytest.mark.models
def test_pause_handoff_with_the_real_voice() -> None:
    from voicecoach.app import Models
    from voicecoach.speech.tts import PiperSpeaker

    models = Models(transcriber=FakeTranscriber(), voice=PiperSpeaker())
    out = bench.measure_pause_handoff(models, runs=2)
    assert out["runs"] == 2
    assert _is_ms(out["median_ms"]) and out["prompt"]


def test_turns_are_told_apart_as_answers_and_messages() -> None:
    events = [
        {"type": "step", "t": 1.0, "script": "imago", "step": "appointment"},
        {"type": "heard", "t": 3.0, "start": 2.0, "end": 2.6, "text": "Yes."},
        {"type": "step", "t": 4.0, "script": "imago", "step": "send"},
        {"type": "heard", "t": 9.0, "start": 5.0, "end": 7.8, "text": "I feel alone."},
    ]
    heard = [e for e in events if e["type"] == "heard"]
    assert [bench._turn_kind(events, h) for h in heard] == ["answer", "message"]


def test_turn_kinds_load_each_script_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from voicecoach.dialogue import script as script_mod

    loads: list[str] = []
    real = script_mod.load_script

    def counting(name: str, **kw: Any) -> Any:
        loads.append(name)
        return real(name, **kw)

    monkeypatch.setattr(script_mod, "load_script", counting)
    events = [
        {"type": "step", "t": 1.0, "script": "imago", "step": "appointment"},
        {"type": "heard", "t": 3.0, "start": 2.0, "end": 2.6, "text": "Yes."},
        {"type": "step", "t": 4.0, "script": "imago", "step": "send"},
        {"type": "heard", "t": 9.0, "start": 5.0, "end": 7.8, "text": "I feel alone."},
        {"type": "step", "t": 10.0, "script": "/no/such/script.yaml", "step": "x"},
        {"type": "heard", "t": 12.0, "start": 10.5, "end": 11.8, "text": "Fine."},
    ]
    scripts: dict[str, Any] = {}
    kinds = [bench._turn_kind(events, h, scripts) for h in events if h["type"] == "heard"]
    assert kinds == ["answer", "message", None]
    assert loads == ["imago", "/no/such/script.yaml"]


def test_heat_to_first_word_reads_the_onset_from_the_log() -> None:
    events = [
        {"type": "step", "t": 40.6, "script": "session", "step": "monitor"},
        {"type": "detect", "t": 62.97, "kind": "interruption", "speaker": "Alex", "onset": 62.04},
        {"type": "detect", "t": 63.81, "kind": "raised_voice", "speaker": "Sam", "onset": 62.9},
        {"type": "step", "t": 63.54, "script": "session", "step": "pause"},
        {"type": "step", "t": 63.54, "script": "pause", "step": "breath"},
        {"type": "say", "t": 65.1, "id": "pause.breath", "text": "x", "start": 63.54, "end": 65.1},
        {"type": "step", "t": 65.1, "script": "pause", "step": "safety"},
        # A pause asked for by voice, with no detection before it: not a heat delay.
        {"type": "step", "t": 200.0, "script": "imago", "step": "send"},
        {"type": "step", "t": 201.0, "script": "pause", "step": "breath"},
        {"type": "say", "t": 202.0, "id": "pause.breath", "text": "x", "start": 201.0, "end": 202},
    ]
    (d,) = bench.heat_to_first_word(events, lead_s=0.1)
    assert d["onset_s"] == 62.04 and d["detect_s"] == 62.97
    assert d["onset_to_first_word_s"] == pytest.approx(63.54 + 0.1 - 62.04, abs=0.01)
    s = bench.heat_summary([d, {**d, "onset_to_first_word_s": 3.6}])
    assert s["n"] == 2 and s["max_s"]["met"] is False and s["median_s"]["met"] is False
    assert bench.heat_summary([])["median_s"]["value"] is None


def test_leading_silence() -> None:
    audio = np.concatenate([np.zeros(SR // 10, np.float32), np.full(SR // 10, 0.1, np.float32)])
    assert bench.leading_silence_s(audio) == pytest.approx(0.1, abs=0.011)
