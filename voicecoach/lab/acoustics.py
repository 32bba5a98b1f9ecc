"""Room acoustics for the evaluation: reverberation, distance and background noise.

The product listens from a laptop on the coffee table or a box by the sofa, a metre or
two from each partner, in a room that rings. No such recordings are at hand (LibriSpeech
is close-talking and dry), so `voicecoach eval` also plays its composed dialogues through
this room: a proxy for real rooms, not a substitute for them.

The impulse response is the usual statistical model of a room (Schroeder): a direct
impulse, delayed and weakened by distance, followed by a diffuse tail of noise that
decays exponentially, its energy set by the direct-to-reverberant ratio at that distance
(equal at the critical distance, falling 6 dB per doubling of distance beyond it). High
frequencies die away faster than low ones (air, curtains and sofas absorb them), so the
tail decays per octave band at a fraction of the room's reverberation time. The noise is
pink (fans, fridges, traffic through a window), a fixed number of dB below the speech.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

SPEED_OF_SOUND = 343.0  # m/s
# Octave bands (Hz) and each band's reverberation time as a fraction of the room's
# (typical of furnished rooms: mid frequencies ring longest, highs are absorbed).
BAND_EDGES_HZ = (0.0, 500.0, 1000.0, 2000.0, 4000.0, SAMPLE_RATE / 2)
BAND_RT60_FRACTION = (1.0, 1.0, 0.9, 0.75, 0.55)


@dataclass(frozen=True)
class Room:
    rt60_s: float = 0.4  # reverberation time at mid frequencies (s); living rooms 0.3-0.6
    critical_m: float = 0.7  # where direct and reverberant energy are equal (m)
    distances_m: tuple[float, ...] = (1.0, 1.5)  # each voice's distance to the microphone
    snr_db: float = 20.0  # dry speech at 1 m above the noise (dB); ~25 dB as heard

    def describe(self) -> str:
        d = " and ".join(f"{x:g}" for x in self.distances_m)
        return (
            f"RT60 {self.rt60_s:g} s, voices at {d} m (critical distance "
            f"{self.critical_m:g} m), pink noise {self.snr_db:g} dB below speech"
        )


def impulse_response(room: Room, distance_m: float, rng: np.random.Generator) -> np.ndarray:
    """One source position's impulse response: direct amplitude 1/distance (1 at 1 m)."""
    n = int(1.2 * room.rt60_s * SAMPLE_RATE)
    delay = int(round(distance_m / SPEED_OF_SOUND * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    tail = np.zeros(n)
    for lo, hi, frac in zip(BAND_EDGES_HZ[:-1], BAND_EDGES_HZ[1:], BAND_RT60_FRACTION, strict=True):
        band = np.fft.irfft(np.where((freqs >= lo) & (freqs < hi), spec, 0), n)
        # -60 dB after one reverberation time: amplitude exp(-ln(1000) t / RT60).
        tail += band * np.exp(-np.log(1000.0) * t / (room.rt60_s * frac))
    # The diffuse field arrives just after the direct sound (first reflections ~1 ms on).
    tail[: delay + SAMPLE_RATE // 1000] = 0.0
    direct = 1.0 / distance_m
    # Direct-to-reverberant energy ratio (critical_m / distance)^2.
    want = direct**2 * (distance_m / room.critical_m) ** 2
    tail *= np.sqrt(want / max(float(np.sum(tail**2)), 1e-20))
    tail[delay] += direct
    return tail


def reverberate(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``x`` as heard through ``h``: the full convolution (the tail rings past the end)."""
    n = len(x) + len(h) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[:n]
    return y.astype(np.float32)


def pink_noise(n: int, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of pink noise (-3 dB per octave) at ``level_db`` dBFS RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    spec /= np.sqrt(np.maximum(f, 20.0))  # below 20 Hz: flat, no DC drift
    y = np.fft.irfft(spec, n)
    y *= 10 ** (level_db / 20) / max(float(np.sqrt(np.mean(y**2))), 1e-20)
    return y.astype(np.float32)
