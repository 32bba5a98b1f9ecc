"""Speaker attribution on generated voices: enrolled names, ~1 s pieces, unknown, auto labels."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.perception.listener import Listener
from voicecoach.perception.testaudio import piper_speech, place
from voicecoach.perception.types import UNKNOWN, Utterance

ALEX = [
    "I feel alone when you work late, and I need you to call me when you can.",
    "Yesterday I waited for two hours and nobody told me anything about the plan.",
    "Okay.",
]
SAM = [
    "When you say that, I hear that you are tired and that you miss me a lot.",
    "I was stuck at the office and my phone battery was dead the whole evening.",
    "Fine.",
]
SAM_SHIFT = 1.45  # faster playback: higher pitch and formants, a different voice


@pytest.fixture(scope="module")
def voices() -> dict[str, list[np.ndarray]]:
    return {
        "alex": [piper_speech(t) for t in ALEX],
        "sam": [piper_speech(t, shift=SAM_SHIFT) for t in SAM],
    }


def _listener(voices: dict[str, list[np.ndarray]]) -> Listener:
    listener = Listener()
    listener.enroll("alex", voices["alex"][0])
    listener.enroll("sam", voices["sam"][0])
    return listener


def _utts(listener: Listener, x: np.ndarray) -> list[Utterance]:
    return [e for e in listener.feed(x) + listener.flush() if isinstance(e, Utterance)]


def test_enrolled_partners_are_named(voices: dict[str, list[np.ndarray]]) -> None:
    a, b = voices["alex"][1], voices["sam"][1]
    x = place(12, [(0.5, a), (0.5 + len(a) / 16000 + 1.0, b)])
    utts = _utts(_listener(voices), x)
    assert [u.speaker for u in utts] == ["alex", "sam"]


def test_one_second_pieces(voices: dict[str, list[np.ndarray]]) -> None:
    # Cut ~1 s pieces out of unseen sentences and present them as separate utterances.
    parts, truth, t = [], [], 0.3
    for name in ("alex", "sam"):
        s = voices[name][1]
        for k in range(2):
            piece = s[int((0.4 + 1.1 * k) * 16000) : int((1.4 + 1.1 * k) * 16000)]
            parts.append((t, piece))
            truth.append(name)
            t += 1.0 + 1.0
    utts = _utts(_listener(voices), place(t + 0.5, parts))
    assert len(utts) == len(truth)
    got = [u.speaker for u in utts]
    # Never the wrong partner; "unknown" is allowed but should be rare.
    assert all(g in (w, UNKNOWN) for g, w in zip(got, truth, strict=True))
    assert sum(g == w for g, w in zip(got, truth, strict=True)) >= 3


def test_stranger_is_unknown(voices: dict[str, list[np.ndarray]]) -> None:
    stranger = piper_speech(ALEX[1], shift=0.72)  # much deeper, slower: someone else
    utts = _utts(_listener(voices), place(8, [(0.5, stranger)]))
    assert [u.speaker for u in utts] == [UNKNOWN]


def test_auto_labels_without_enrolment(voices: dict[str, list[np.ndarray]]) -> None:
    a1, a2 = voices["alex"][0], voices["alex"][1]
    b1, b2 = voices["sam"][0], voices["sam"][1]
    parts, t = [], 0.5
    for s in (a1, b1, a2, b2):
        parts.append((t, s))
        t += len(s) / 16000 + 1.0
    utts = _utts(Listener(), place(t, parts))
    assert [u.speaker for u in utts] == ["speaker1", "speaker2", "speaker1", "speaker2"]
