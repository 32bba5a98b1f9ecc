"""Enrol stage: a profile from calm speech; the cache is an object its owner passes on."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.lab.testaudio import place, vowel_voice
from voicecoach.perception.embedder import Embedder
from voicecoach.perception.listener import Listener
from voicecoach.perception.stages.enrol import EnrolmentCache, learn_voice


@pytest.fixture(scope="module")
def calm() -> np.ndarray:
    return place(3.0, [(0.2, vowel_voice(2.5, np.array([120, 135, 110, 125.0])))])


def _learn(audio: np.ndarray, embedder: Embedder, cache: EnrolmentCache) -> None:
    learn_voice("alex", audio, enrolled=True, vad_aggressiveness=2, embedder=embedder, cache=cache)


def test_the_same_audio_is_learnt_once_per_cache(calm: np.ndarray) -> None:
    embedder = Embedder()
    cache = EnrolmentCache()
    _learn(calm, embedder, cache)
    run = embedder.windows_run
    assert run > 0
    _learn(calm, embedder, cache)
    assert embedder.windows_run == run  # from the cache
    _learn(calm, embedder, EnrolmentCache())
    assert embedder.windows_run == 2 * run  # another cache knows nothing of it


def test_listeners_share_enrolments_only_when_given_the_same_cache(calm: np.ndarray) -> None:
    shared = EnrolmentCache()
    a, b, c = Listener(enrolments=shared), Listener(enrolments=shared), Listener()
    for lis in (a, b, c):
        lis.enroll("alex", calm)
    assert b.embedder.windows_run == 0 < a.embedder.windows_run == c.embedder.windows_run
    prof_a, prof_b = a.bank.get("alex"), b.bank.get("alex")
    assert prof_a is not None and prof_b is not None and prof_a is not prof_b
    assert prof_a.baseline is not prof_b.baseline  # adapting one never moves the other


def test_the_cache_is_bounded(calm: np.ndarray) -> None:
    embedder = Embedder()
    cache = EnrolmentCache(entries=1)
    for gain in (1.0, 0.9, 0.8):
        _learn(calm * np.float32(gain), embedder, cache)
    assert len(cache._learnt) <= 2


def test_too_little_speech_is_refused() -> None:
    with pytest.raises(ValueError, match="not enough speech"):
        _learn(place(2.0, [(0.5, vowel_voice(0.3, 140.0))]), Embedder(), EnrolmentCache())
