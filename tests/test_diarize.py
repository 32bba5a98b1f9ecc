"""analyze() without enrolment: the voices are found by clustering, then told apart by
the enrolled pipeline (`voicecoach.perception.diarize`). Generated audio only."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.lab.acoustics import pink_noise
from voicecoach.lab.testaudio import piper_speech, place
from voicecoach.perception.analyze import analyze
from voicecoach.perception.diarize import DiarizeConfig, bisect, discover

LINES_A = [
    "I feel alone when you work late, and I need you to call me when you can.",
    "Yesterday I waited for two hours and nobody told me anything about the plan.",
    "It is not about the phone, it is about feeling that I matter to you.",
]
LINES_B = [
    "When you say that, I hear that you are tired and that you miss me a lot.",
    "I was stuck at the office and my phone battery was dead the whole evening.",
    "I do care, and I want us to find a way that works for both of us.",
]


def _speakers(res: dict) -> set[str]:
    return {s["speaker"] for s in res["segments"] if s["speaker"].startswith("speaker")}


@pytest.fixture(scope="module")
def dialogue() -> dict:
    """A B A B A B, polite turns, except that B cuts in 1 s before A's second line ends."""
    a = [piper_speech(t) for t in LINES_A]
    b = [piper_speech(t, shift=1.45) for t in LINES_B]
    parts, t, onset = [], 0.5, None
    for k in range(3):
        parts.append((t, a[k]))
        end_a = t + len(a[k]) / 16000
        if k == 1:
            onset = end_a - 1.0
            t = onset
        else:
            t = end_a + 0.7
        parts.append((t, b[k]))
        t += len(b[k]) / 16000 + 0.7
    return {"x": place(t + 0.5, parts), "onset": onset}


def test_two_voices_and_an_interruption_without_enrolment(dialogue: dict) -> None:
    res = analyze(dialogue["x"])
    assert _speakers(res) == {"speaker1", "speaker2"}
    first = next(s for s in res["segments"] if s["speaker"] != "unknown")
    assert first["speaker"] == "speaker1"  # numbered in order of appearance
    inter = [e for e in res["events"] if e["type"] == "interruption"]
    assert len(inter) == 1, inter
    assert abs(inter[0]["time"] - dialogue["onset"]) < 0.7
    assert (inter[0]["speaker"], inter[0]["interrupted"]) == ("speaker2", "speaker1")
    # Most of each voice's speech carries its own label (A is speaker1, B speaker2).
    a_end = 0.5 + len(piper_speech(LINES_A[0])) / 16000
    said = [s for s in res["segments"] if s["start"] < a_end - 0.5]
    assert {s["speaker"] for s in said} <= {"speaker1", "unknown"}


def test_one_voice_stays_one_speaker() -> None:
    a = [piper_speech(t) for t in LINES_A + LINES_B]
    parts, t = [], 0.5
    for x in a:
        parts.append((t, x))
        t += len(x) / 16000 + 0.8
    res = analyze(place(t, parts))
    assert _speakers(res) == {"speaker1"}
    assert not [e for e in res["events"] if e["type"] == "interruption"]


def test_silence_and_noise_give_no_speakers() -> None:
    rng = np.random.default_rng(3)
    noise = pink_noise(16000 * 20, -50.0, rng).astype(np.float32)
    for x in (np.zeros(16000 * 10, np.float32), noise):
        assert discover(x) == []
        res = analyze(x)
        assert _speakers(res) == set()
        assert not [e for e in res["events"] if e["type"] == "interruption"]


def test_bisect_separates_two_directions() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2, 256))
    x = np.concatenate([c + 0.6 * rng.standard_normal((10, 256)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    halves = bisect(x, np.arange(20))
    assert sorted(map(sorted, (h.tolist() for h in halves))) == [
        list(range(10)),
        list(range(10, 20)),
    ]


def test_settings_carry_their_tuning() -> None:
    cfg = DiarizeConfig()
    # A voice needs several windows of speech on each side of a split.
    assert cfg.min_voice_s >= 3 * 0.84
    assert cfg.split_more > 0  # a third voice needs clearer evidence than a second
