"""Voices for SIMULATED partners (the no-microphone demo and tests), not for the coach.

Two clearly different people: "joe" (male, Piper en_US-joe-medium) and "mia" (female,
Kokoro-82M voice jf_nezumi fed English phonemes). "eve" (espeak-ng, female, robotic) is a
third voice that needs no model package, only the Debian package espeak-ng.

Why Kokoro jf_nezumi for the female voice: on 10 conversational lines Whisper base had
a word error rate of 2.2 % on it, vs 5.6 % on espeak-ng en-us+f3 and 6.7 % on Kokoro
jf_alpha, and it sounds far more human (details in voices/README.md). Its cost: Kokoro
renders at ~0.5x real time on 2 idle cores (much slower on a loaded machine), fine for
lines rendered ahead of time.

``effort`` (0..1) imitates a raised, angry voice in ways that survive loudness
normalisation, since the caller sets the level. Real anger (acted angry speech measured
against the same speaker's calm register) raises pitch by 2-5 semitones, flattens the
spectral slope across the whole speech band (vocal effort), presses the voice (the
second harmonic comes up to the first: low H1-H2) and speeds speech up; excitement
(joy, surprise) raises pitch and level too but stays breathy, so a simulated fight
that only raises pitch and brightens the top octave sounds like excitement, not anger.
At effort 1: +4 semitones, +12 dB from 500 Hz to 3 kHz, the first harmonic 6 dB lower
relative to the second, 12 % faster. Every render is RMS-normalised to -20 dBFS.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from voicecoach.errors import UserError
from voicecoach.speech.resample import resample
from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

EFFORT_SEMITONES = 4.0
"""Pitch raise at effort 1 (raised voices measure +2..+5 semitones over calm speech)."""

EFFORT_TILT_DB = 12.0
"""High-frequency boost at effort 1: vocal effort flattens the spectral slope."""

EFFORT_PRESS_DB = 6.0
"""How much the first harmonic drops relative to the second at effort 1 (pressed voice)."""

EFFORT_SPEEDUP = 0.12
"""Fractional speed-up at effort 1."""

TARGET_RMS = 0.1
"""Output level (-20 dBFS); the caller scales it. Peaks are kept below 0.99."""

SENTENCE_GAP_S = 0.25
"""Pause between sentences in voices that render sentence by sentence."""

# Kokoro's English symbols (misaki) for espeak's diphthongs; r is the approximant ɹ.
_KOKORO_MAP = (("eɪ", "A"), ("aɪ", "I"), ("oʊ", "O"), ("aʊ", "W"), ("ɔɪ", "Y"), ("r", "ɹ"))
_KOKORO_RATE = 24_000

Renderer = Callable[[str, float], np.ndarray]
"""(text, speed) -> 16 kHz float32 audio; speed > 1 is faster."""


class PartnerVoice:
    """One simulated partner: ``render(text, effort=...)`` gives 16 kHz float32 audio."""

    def __init__(self, name: str, renderer: Renderer, *, gender: str) -> None:
        self.name = name
        self.gender = gender
        self._renderer = renderer
        self._cache: dict[tuple[str, float], np.ndarray] = {}

    def render(self, text: str, *, effort: float = 0.0) -> np.ndarray:
        """``text`` spoken by this partner; ``effort`` 0 is calm, 1 is shouting-angry."""
        effort = round(min(max(float(effort), 0.0), 1.0), 3)
        key = (text, effort)
        if key not in self._cache:
            self._cache[key] = self._render(text, effort)
        # A copy: callers may scale the level in place.
        return self._cache[key].copy()

    def _render(self, text: str, effort: float) -> np.ndarray:
        ratio = _pitch_ratio(EFFORT_SEMITONES * effort)
        # The pitch shift (resampling) also shortens the audio by `ratio`; asking the TTS
        # for correspondingly slower speech leaves only the intended speed-up.
        speed = (1.0 + EFFORT_SPEEDUP * effort) / ratio
        audio = self._renderer(text, speed)
        if ratio != 1.0:
            audio = resample(audio, round(SAMPLE_RATE * ratio), SAMPLE_RATE)
        if effort > 0.0:
            audio = press(audio, EFFORT_PRESS_DB * effort)
            audio = tilt(audio, EFFORT_TILT_DB * effort)
        return _normalise(audio)


def partner_voice(name: str) -> PartnerVoice:
    """A simulated partner's voice by name: "joe" (male), "mia" (female) or "eve"
    ("male" and "female" are aliases of joe and mia). Loaded once, then shared."""
    key = name.strip().lower()
    return _partner_voice(_ALIASES.get(key, key))


@cache
def _partner_voice(name: str) -> PartnerVoice:
    if name == "joe":
        return PartnerVoice("joe", _piper_renderer("en_US-joe-medium"), gender="male")
    if name == "mia":
        return PartnerVoice("mia", _kokoro_renderer("jf_nezumi"), gender="female")
    if name == "eve":
        return PartnerVoice("eve", _espeak_renderer("en-us+f3"), gender="female")
    raise UserError(f"Unknown partner voice {name!r}: choose one of {', '.join(PARTNERS)}.")


PARTNERS = ("joe", "mia", "eve", "male", "female")
"""Names accepted by `partner_voice`."""

_ALIASES = {"male": "joe", "female": "mia"}


# ---------------------------------------------------------------- effort


def _pitch_ratio(semitones: float) -> float:
    # Quantised so the resampler's rate pair stays a small fraction (fast polyphase path):
    # 16000 -> 16000 * ratio rounded to 100 Hz, i.e. ~0.1 semitone steps.
    return round(SAMPLE_RATE * 2.0 ** (semitones / 12.0), -2) / SAMPLE_RATE


def tilt(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """Boost frequencies above 500 Hz smoothly, up to ``gain_db`` from 3 kHz (zero-phase):
    vocal effort flattens the slope over the whole band, not only the top octave."""
    return _shape(audio, gain_db, 500.0, 3000.0)


def press(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """Lower the first harmonic by ``gain_db`` relative to the second (zero-phase): a cut
    below 1.2 x the voice's median F0 that is gone by 1.8 x F0 (pressed phonation)."""
    f0 = median_f0(audio)
    if f0 <= 0.0 or gain_db == 0.0:
        return audio.astype(np.float32)
    return _shape(audio, gain_db, 1.2 * f0, 1.8 * f0, below=True)


def _shape(
    audio: np.ndarray, gain_db: float, lo_hz: float, hi_hz: float, *, below: bool = False
) -> np.ndarray:
    """A log-frequency ramp between ``lo_hz`` and ``hi_hz``: ``gain_db`` above it (or, with
    ``below``, a cut of ``gain_db`` under it), 0 dB on the other side."""
    n = audio.size
    if n == 0 or gain_db == 0.0:
        return audio.astype(np.float32)
    nfft = 1 << (n - 1).bit_length()
    spec = np.fft.rfft(audio.astype(np.float64), nfft)
    freqs = np.fft.rfftfreq(nfft, 1.0 / SAMPLE_RATE)
    ramp = np.clip(np.log2(np.maximum(freqs, 1.0) / lo_hz) / math.log2(hi_hz / lo_hz), 0.0, 1.0)
    db = -gain_db * (1.0 - ramp) if below else gain_db * ramp
    spec *= 10.0 ** (db / 20.0)
    return np.fft.irfft(spec, nfft)[:n].astype(np.float32)


def median_f0(audio: np.ndarray) -> float:
    """Median F0 (Hz) of the clearly voiced 30 ms frames, 0 if none (YIN)."""
    from voicecoach.perception.pitch import CONTEXT, yin

    x = np.asarray(audio, dtype=np.float64)
    hop = 480
    n = (x.size - CONTEXT) // hop
    if n <= 0:
        return 0.0
    windows = x[np.arange(n)[:, None] * hop + np.arange(CONTEXT)[None, :]]
    f0, aper = yin(windows)
    level = np.sqrt(np.mean(windows**2, axis=1))
    ok = (f0 > 0) & (aper < 0.2) & (level > 0.3 * np.sqrt(np.mean(x**2)))
    return float(np.median(f0[ok])) if ok.any() else 0.0


def _normalise(audio: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    if rms < 1e-9:
        return audio.astype(np.float32)
    gain = TARGET_RMS / rms
    peak = float(np.max(np.abs(audio))) * gain
    if peak > 0.99:
        gain *= 0.99 / peak
    return (audio * gain).astype(np.float32)


# ---------------------------------------------------------------- backends


def _piper_renderer(voice: str) -> Renderer:
    from voicecoach.speech.tts import PiperSpeaker

    # length_scale 1.0: a partner speaks at an everyday pace (the coach is slower).
    speaker = PiperSpeaker(voice, length_scale=1.0)

    def render(text: str, speed: float) -> np.ndarray:
        return speaker.render(text, length_scale=1.0 / speed)

    return render


def _kokoro_renderer(voice: str) -> Renderer:
    import onnxruntime as ort

    from voicecoach.speech.models import kokoro_model_path

    model, data = kokoro_model_path()
    vocab: dict[str, int] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with np.load(data / "voices_ja.npz") as npz:
        if voice not in npz.files:
            raise UserError(f"Unknown Kokoro voice {voice!r}: choose one of {npz.files}.")
        style = np.asarray(npz[voice], dtype=np.float32)  # (510, 1, 256): one per length
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    # Sequential execution and a fixed thread count keep float sums in one order.
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(
        str(model), sess_options=opts, providers=["CPUExecutionProvider"]
    )

    def render(text: str, speed: float) -> np.ndarray:
        pieces: list[np.ndarray] = []
        for phonemes in english_phonemes(text):
            tokens = [vocab[c] for c in kokoro_phonemes(phonemes) if c in vocab][:500]
            if not tokens:
                continue
            audio = session.run(
                None,
                {
                    "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                    "style": style[len(tokens) - 1].reshape(1, 256),
                    "speed": np.array([speed], dtype=np.float32),
                },
            )[0]
            audio = resample(np.asarray(audio, dtype=np.float32).ravel(), _KOKORO_RATE, SAMPLE_RATE)
            pieces.append(_trim(audio))
        return _join(pieces)

    return render


def _espeak_renderer(voice: str) -> Renderer:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise UserError(
            "The partner voice 'eve' needs espeak-ng: install the Debian package espeak-ng "
            "(./setup.sh installs it)."
        )

    def render(text: str, speed: float) -> np.ndarray:
        wpm = str(round(165 * speed))
        raw = subprocess.run(
            [binary, "-v", voice, "-s", wpm, "--stdout", text], capture_output=True, check=True
        ).stdout
        return _trim(_wav_to_16k(raw))

    return render


def english_phonemes(text: str) -> list[str]:
    """espeak-ng IPA for ``text``, one string per sentence (piper's bundled espeak)."""
    from piper.phonemize_espeak import ESPEAK_DATA_DIR, EspeakPhonemizer

    return [
        "".join(s) for s in _phonemizer(EspeakPhonemizer, ESPEAK_DATA_DIR).phonemize("en-us", text)
    ]


@cache
def _phonemizer(cls: type, data_dir: object) -> Any:
    return cls(data_dir)


def kokoro_phonemes(ipa: str) -> str:
    """espeak IPA rewritten in Kokoro's symbols (its English voices were trained on misaki)."""
    for a, b in _KOKORO_MAP:
        ipa = ipa.replace(a, b)
    # espeak leaves the pronoun "I" unstressed; Kokoro then swallows it ("I feel alone" came
    # back from Whisper as "If you alone"). With primary stress it is heard again.
    return re.sub(r"(^|\s)I(?=[\s,.!?;:]|$)", r"\1ˈI", ipa)


def _wav_to_16k(raw: bytes) -> np.ndarray:
    import io
    import wave

    with wave.open(io.BytesIO(raw)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return resample(pcm.astype(np.float32) / 32768.0, rate, SAMPLE_RATE)


def _trim(audio: np.ndarray, *, keep_s: float = 0.03) -> np.ndarray:
    if audio.size == 0:
        return audio
    loud = np.flatnonzero(np.abs(audio) > 0.01 * max(float(np.max(np.abs(audio))), 1e-9))
    if loud.size == 0:
        return audio[:0]
    keep = int(keep_s * SAMPLE_RATE)
    return audio[max(0, int(loud[0]) - keep) : int(loud[-1]) + 1 + keep]


def _join(pieces: list[np.ndarray]) -> np.ndarray:
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    gap = np.zeros(int(SENTENCE_GAP_S * SAMPLE_RATE), dtype=np.float32)
    out: list[np.ndarray] = []
    for i, piece in enumerate(pieces):
        if i:
            out.append(gap)
        out.append(piece.astype(np.float32))
    return np.concatenate(out)
