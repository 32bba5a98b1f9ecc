"""Whisper transcription on real models: words back from Piper speech, nothing from noise."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest

from voicecoach.speech.tts import PiperSpeaker
from voicecoach.speech.whisper import WhisperTranscriber, _looks_looped
from voicecoach.timebase import SAMPLE_RATE

pytestmark = pytest.mark.models

SENTENCE = "I feel alone when you work late, and I need you to call me."


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return PiperSpeaker().render(SENTENCE)


@pytest.fixture(scope="module", params=["tiny.en", "base"])
def transcriber(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WhisperTranscriber]:
    # A private cache, so the test never depends on (or writes to) the user's.
    mp = pytest.MonkeyPatch()
    mp.setenv("VOICECOACH_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield WhisperTranscriber(request.param, progress=False)
    mp.undo()


@pytest.mark.parametrize("short_encode", [True, False])
def test_piper_sentence_comes_back(
    transcriber: WhisperTranscriber, speech: np.ndarray, short_encode: bool
) -> None:
    transcriber.short_encode = short_encode
    got = words(transcriber.transcribe(speech))
    if short_encode:
        # Known weakness (why it is off by default): tiny.en drops the final "me" when the
        # encoder sees only the clip. Everything else must be there, in order.
        assert got in (words(SENTENCE), words(SENTENCE)[:-1])
    else:
        assert got == words(SENTENCE)


def test_default_is_padded_and_deterministic(
    transcriber: WhisperTranscriber, speech: np.ndarray
) -> None:
    assert WhisperTranscriber.__init__.__kwdefaults__["short_encode"] is False
    transcriber.short_encode = False
    assert transcriber.transcribe(speech) == transcriber.transcribe(speech.copy())


def test_silence_and_noise_give_nothing(transcriber: WhisperTranscriber) -> None:
    rng = np.random.default_rng(7)
    quiet = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    hiss = (0.03 * rng.standard_normal(3 * SAMPLE_RATE)).astype(np.float32)
    hum = (0.05 * np.sin(2 * np.pi * 50 * np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE)).astype(
        np.float32
    )
    for short_encode in (True, False):
        transcriber.short_encode = short_encode
        for audio in (quiet, hiss, hum, quiet[:800]):
            assert transcriber.transcribe(audio) == ""


def test_loop_detector() -> None:
    assert _looks_looped("Chapter 1 Chapter 1 Chapter 1")
    assert _looks_looped("Mrs. Rachel Lind " * 8)
    assert not _looks_looped("I feel alone when you work late, and I need you to call me.")


def test_no_hub_access(monkeypatch: pytest.MonkeyPatch) -> None:
    # Loading sets the offline switches before faster-whisper can reach for a hub.
    import os

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    WhisperTranscriber("tiny.en", progress=False)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
