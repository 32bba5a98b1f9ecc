"""Segmentation with webrtcvad: onsets, hangover, max length, silence."""

from __future__ import annotations

import numpy as np

from voicecoach.lab.testaudio import place, vowel_voice
from voicecoach.perception.listener import Listener
from voicecoach.perception.types import Utterance, VoiceStart


def _voice(seconds: float, seed: int = 0) -> np.ndarray:
    return vowel_voice(seconds, np.array([120.0, 140.0, 115.0]), level_db=-28, seed=seed)


def _run(x: np.ndarray) -> list:
    listener = Listener()
    return listener.feed(x) + listener.flush()


def test_two_utterances_split_by_a_long_pause() -> None:
    x = place(6.0, [(0.5, _voice(1.5)), (3.0, _voice(2.0, 1))])
    ev = _run(x)
    utts = [e for e in ev if isinstance(e, Utterance)]
    assert len(utts) == 2
    assert abs(utts[0].start - 0.5) < 0.1 and abs(utts[0].end - 2.0) < 0.1
    assert abs(utts[1].start - 3.0) < 0.1 and abs(utts[1].end - 5.0) < 0.1
    # Decided after the hangover, and carrying its audio.
    assert 0.5 <= utts[0].t - utts[0].end <= 0.75
    assert len(utts[0].audio) == round(utts[0].duration * 16000)


def test_short_pause_does_not_split() -> None:
    x = place(5.0, [(0.5, _voice(1.5)), (2.35, _voice(1.5, 1))])
    utts = [e for e in _run(x) if isinstance(e, Utterance)]
    assert len(utts) == 1


def test_voice_start_is_fast() -> None:
    x = place(3.0, [(1.0, _voice(1.5))])
    starts = [e for e in _run(x) if isinstance(e, VoiceStart)]
    assert len(starts) == 1
    assert abs(starts[0].start - 1.0) < 0.08
    assert starts[0].t - 1.0 <= 0.2


def test_silence_and_noise_give_nothing() -> None:
    rng = np.random.default_rng(1)
    noise = (0.002 * rng.standard_normal(16000 * 3)).astype(np.float32)
    assert _run(np.zeros(16000 * 3, np.float32)) == []
    assert [e for e in _run(noise) if isinstance(e, Utterance)] == []


def test_long_speech_is_split_at_15_s() -> None:
    x = place(20.0, [(0.3, _voice(19.0))])
    utts = [e for e in _run(x) if isinstance(e, Utterance)]
    assert len(utts) >= 2
    assert all(u.duration <= 15.0 + 1e-6 for u in utts)
    # Nothing lost at the cut.
    assert abs(sum(u.duration for u in utts) - 19.0) < 0.2
