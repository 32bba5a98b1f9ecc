"""YIN fundamental-frequency estimation in numpy, vectorised over a batch of frames.

de Cheveigné & Kawahara (2002): difference function, cumulative-mean normalisation,
absolute threshold, parabolic interpolation. One call handles many frames at once, so a
second of audio costs a few FFTs instead of a Python loop per frame.
"""

from __future__ import annotations

import logging

import numpy as np

from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

F0_MIN_HZ = 60.0  # Hz: below a deep male voice's calm floor
F0_MAX_HZ = 600.0  # Hz: above a shouting female voice
YIN_WINDOW_SAMPLES = 480  # samples integrated per lag (one 30 ms frame)
TAU_MAX = int(SAMPLE_RATE / F0_MIN_HZ)  # 266
TAU_MIN = int(SAMPLE_RATE / F0_MAX_HZ)  # 26
CONTEXT = YIN_WINDOW_SAMPLES + TAU_MAX + 1  # samples each analysis needs
_NFFT = 1024  # >= CONTEXT: circular correlation does not wrap for lags <= TAU_MAX
THRESHOLD = 0.25  # YIN absolute threshold; vocoded and effortful voices need more than 0.15

# High-pass ramp (0 below 55 Hz, 1 above 100 Hz), applied in the FFT domain: mains hum
# (50/60 Hz) otherwise wins YIN's first dip in pauses and gives a "voiced" 60 Hz track.
_FREQS = np.fft.rfftfreq(_NFFT, 1.0 / SAMPLE_RATE)
_HP = np.clip((_FREQS - 55.0) / 45.0, 0.0, 1.0)


def yin(windows: np.ndarray, threshold: float = THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """F0 (Hz, 0 when unvoiced) and aperiodicity (min normalised difference, 0..~1).

    ``windows``: (n, CONTEXT) float array, one analysis window per row.
    Aperiodicity is low (<0.15) for one clear voice and rises for noise or for two
    voices at once, which the overlap detector uses as a cue.
    """
    x = np.asarray(windows, dtype=np.float64)
    n = x.shape[0]
    if n == 0:
        return np.zeros(0), np.ones(0)
    padded = np.zeros((n, _NFFT))
    padded[:, :CONTEXT] = x * np.hanning(CONTEXT + 2)[1:-1] ** 0.25  # soft edges, little ringing
    x = np.fft.irfft(np.fft.rfft(padded) * _HP, _NFFT)[:, :CONTEXT]
    head = np.zeros((n, _NFFT))
    head[:, :YIN_WINDOW_SAMPLES] = x[:, :YIN_WINDOW_SAMPLES]
    full = np.zeros((n, _NFFT))
    full[:, :CONTEXT] = x
    acf = np.fft.irfft(np.conj(np.fft.rfft(head)) * np.fft.rfft(full), _NFFT)[:, : TAU_MAX + 1]
    sq = np.concatenate([np.zeros((n, 1)), np.cumsum(x * x, axis=1)], axis=1)
    taus = np.arange(TAU_MAX + 1)
    e1 = sq[:, YIN_WINDOW_SAMPLES][:, None]
    e2 = sq[:, taus + YIN_WINDOW_SAMPLES] - sq[:, taus]
    d = np.maximum(e1 + e2 - 2.0 * acf, 0.0)
    # Cumulative-mean normalisation removes the bias toward tau=0.
    cum = np.cumsum(d[:, 1:], axis=1)
    dn = np.ones_like(d)
    dn[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(cum, 1e-12)
    band = dn[:, TAU_MIN : TAU_MAX + 1]
    aper = band.min(axis=1)
    below = band < threshold
    has = below.any(axis=1)
    first = np.argmax(below, axis=1)
    # From the first dip below threshold, walk down to its local minimum.
    rising = np.zeros_like(below)
    rising[:, :-1] = band[:, 1:] >= band[:, :-1]
    rising[:, -1] = True
    idx = np.arange(band.shape[1])[None, :]
    local = np.argmax(rising & (idx >= first[:, None]), axis=1)
    tau = local + TAU_MIN
    # Parabolic interpolation around the chosen lag for sub-sample precision.
    tc = np.clip(tau, 1, TAU_MAX - 1)
    rows = np.arange(n)
    a, b, c = dn[rows, tc - 1], dn[rows, tc], dn[rows, tc + 1]
    den = a - 2 * b + c
    shift = np.where(np.abs(den) > 1e-12, 0.5 * (a - c) / np.where(den == 0, 1, den), 0.0)
    shift = np.clip(shift, -1.0, 1.0)
    f0 = SAMPLE_RATE / (tc + shift)
    f0 = np.where(has, f0, 0.0)
    return f0, aper
