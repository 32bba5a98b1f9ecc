"""Interruptions and overlap on two mixed Piper voices (one male-like, one shifted)."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.perception.listener import Listener
from voicecoach.perception.testaudio import piper_speech, place
from voicecoach.perception.types import Interruption, Overlap

A = [
    "I feel alone when you work late, and I need you to call me when you can.",
    "Yesterday I waited for two hours and nobody told me anything about the plan.",
]
B = [
    "When you say that, I hear that you are tired and that you miss me a lot.",
    "I was stuck at the office and my phone battery was dead the whole evening.",
]


@pytest.fixture(scope="module")
def voices() -> dict[str, list[np.ndarray]]:
    return {"alex": [piper_speech(t) for t in A],
            "sam": [piper_speech(t, shift=1.45) for t in B]}


def _run(voices: dict[str, list[np.ndarray]], x: np.ndarray) -> list:
    listener = Listener()
    listener.enroll("alex", voices["alex"][0])
    listener.enroll("sam", voices["sam"][0])
    return listener.feed(x) + listener.flush()


@pytest.mark.parametrize("before_end", [0.7, 1.5])
def test_cutting_in_is_an_interruption(voices: dict[str, list[np.ndarray]],
                                       before_end: float) -> None:
    a, b = voices["alex"][1], voices["sam"][1]
    onset = 0.5 + len(a) / 16000 - before_end
    ev = _run(voices, place(onset + len(b) / 16000 + 1.0, [(0.5, a), (onset, b)]))
    hits = [e for e in ev if isinstance(e, Interruption)]
    assert len(hits) == 1
    h = hits[0]
    assert (h.speaker, h.interrupted) == ("sam", "alex")
    assert -0.3 <= h.time - onset <= 1.0
    assert h.t - onset <= 1.2  # decided quickly
    assert h.overlap >= 0.2
    overlaps = [e for e in ev if isinstance(e, Overlap)]
    assert len(overlaps) == 1
    assert overlaps[0].start < onset + 1.0 and overlaps[0].end > onset


def test_taking_turns_is_not_an_interruption(voices: dict[str, list[np.ndarray]]) -> None:
    a, b = voices["alex"][1], voices["sam"][1]
    parts, t = [], 0.5
    for gap, s in ((0.3, a), (0.9, b), (0.4, voices["alex"][0]), (0.5, voices["sam"][0])):
        parts.append((t, s))
        t += len(s) / 16000 + gap
    ev = _run(voices, place(t + 1.0, parts))
    assert [e for e in ev if isinstance(e, (Interruption, Overlap))] == []
