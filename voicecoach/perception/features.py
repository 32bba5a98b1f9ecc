"""Per-frame acoustic features on 30 ms frames: level, pitch, spectral tilt, cepstrum.

`FrameAnalyzer` buffers any chunk size and analyses every complete frame, batching all
frames of a chunk into one vectorised pass. Frame k always sees exactly the same samples
(its own 480 plus a fixed look-back for YIN), so results do not depend on chunking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from voicecoach.perception.pitch import CONTEXT, yin
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)

N_FFT = 512
# 40 mel bands and 20 cepstra: the finer spectral envelope is what tells two voices of
# the same sex apart frame by frame (LibriSpeech readers, enrolled on 4 s: same-sex
# 0.3 s windows wrongly attributed 9.6/11.4 % F/M with 24 bands and 13 cepstra,
# 7.6/4.9 % with these; more cepstra or a wider band bought little or only channel).
N_MELS = 40
N_MFCC = 20
_EPS = 1e-10


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """Slaney mel scale (librosa's default): linear below 1 kHz, log above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    lin = f / f_sp
    return np.where(
        f >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(f, 1e-9) / min_log_hz) / logstep, lin
    )


def mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(
    n_mels: int, n_fft: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """(n_mels, n_fft//2+1) slaney-normalised triangular filters, as librosa.filters.mel."""
    fmax = SAMPLE_RATE / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, n_fft // 2 + 1)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def _dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    m = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    m[0] /= np.sqrt(2.0)
    return m


_HANN = np.hanning(FRAME_SAMPLES + 2)[1:-1]
_MEL = mel_filterbank(N_MELS, N_FFT, 60.0, 7600.0)
_DCT = _dct_matrix(N_MFCC + 1, N_MELS)
_FREQS = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
_LOW = (_FREQS >= 50) & (_FREQS < 1000)
_N_FINE = 2048  # 7.8 Hz bins: fine enough to find the first two harmonics of a low voice
_FINE = np.fft.rfftfreq(_N_FINE, 1.0 / SAMPLE_RATE)
_HIGH = (_FREQS >= 1000) & (_FREQS < 5000)


def frame_time(frames: int) -> float:
    """Media time (s) at a frame boundary, exact to the millisecond (frames are 30 ms)."""
    return round(frames * FRAME_SAMPLES / SAMPLE_RATE, 3)


@dataclass
class FrameBlock:
    """Features for consecutive frames ``first`` .. ``first + n - 1`` (arrays of length n)."""

    first: int  # index of the first frame (frame k covers samples k*480 .. (k+1)*480)
    pcm: np.ndarray  # (n, 480) float32 samples
    level_db: np.ndarray  # RMS level, dBFS
    f0: np.ndarray  # Hz, 0 = unvoiced
    aper: np.ndarray  # YIN aperiodicity, low = one clear periodic voice
    tilt_db: np.ndarray  # energy 1-5 kHz over 50 Hz-1 kHz, dB (vocal effort flattens the tilt)
    mfcc: np.ndarray  # (n, N_MFCC) cepstrum without c0 (level-free spectral shape)
    h1h2_db: np.ndarray  # first minus second harmonic, dB (low = pressed, effortful voice)

    def __len__(self) -> int:
        return len(self.level_db)


def analyse_frames(context: np.ndarray, first: int) -> FrameBlock:
    """Analyse frames from a buffer: ``context`` = look-back (CONTEXT - 480) + n*480 samples."""
    look = CONTEXT - FRAME_SAMPLES
    n = (len(context) - look) // FRAME_SAMPLES
    x = np.asarray(context, dtype=np.float64)
    pcm = x[look : look + n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES)
    level = 10 * np.log10(np.mean(pcm * pcm, axis=1) + _EPS)
    idx = np.arange(n)[:, None] * FRAME_SAMPLES + np.arange(CONTEXT)[None, :]
    f0, aper = yin(x[idx])
    spec = np.abs(np.fft.rfft(pcm * _HANN, N_FFT)) ** 2
    tilt = 10 * np.log10((spec[:, _HIGH].sum(1) + _EPS) / (spec[:, _LOW].sum(1) + _EPS))
    logmel = np.log(spec @ _MEL.T + _EPS)
    mfcc = logmel @ _DCT.T
    return FrameBlock(
        first, pcm.astype(np.float32), level, f0, aper, tilt, mfcc[:, 1:], _h1h2(pcm, f0)
    )


def _h1h2(pcm: np.ndarray, f0: np.ndarray) -> np.ndarray:
    """H1-H2 (dB) per voiced frame, 0 where unvoiced. Pressed phonation (anger, effort)
    brings the second harmonic up to the first; breathy or soft voices (fear, joy,
    sadness) keep H1 well above H2, even when just as high and loud."""
    out = np.zeros(len(pcm))
    voiced = f0 > 0
    if not voiced.any():
        return out
    spec = np.abs(np.fft.rfft(pcm[voiced] * _HANN, _N_FINE)) ** 2 + _EPS
    f = f0[voiced][:, None]

    def harmonic(k: int) -> np.ndarray:
        near = np.abs(_FINE[None, :] - k * f) <= 0.15 * f
        return 10 * np.log10(np.max(np.where(near, spec, _EPS), axis=1))

    out[voiced] = harmonic(1) - harmonic(2)
    return out


class FrameAnalyzer:
    """Streams audio in, yields FrameBlocks; chunk size never changes the numbers."""

    def __init__(self) -> None:
        self._buf = np.zeros(CONTEXT - FRAME_SAMPLES, dtype=np.float64)
        self._frames = 0

    @property
    def frames(self) -> int:
        """Frames analysed so far."""
        return self._frames

    def push(self, samples: np.ndarray) -> FrameBlock | None:
        self._buf = np.concatenate([self._buf, np.asarray(samples, dtype=np.float64).ravel()])
        look = CONTEXT - FRAME_SAMPLES
        n = (len(self._buf) - look) // FRAME_SAMPLES
        if n <= 0:
            return None
        used = look + n * FRAME_SAMPLES
        block = analyse_frames(self._buf[:used], self._frames)
        self._buf = self._buf[used - look :]
        self._frames += n
        return block


def analyse_audio(audio: np.ndarray) -> FrameBlock:
    """All complete frames of a whole signal (used for enrolment)."""
    fa = FrameAnalyzer()
    block = fa.push(audio)
    if block is None:
        z = np.zeros(0)
        return FrameBlock(
            0, np.zeros((0, FRAME_SAMPLES), np.float32), z, z, z, z, np.zeros((0, N_MFCC)), z
        )
    return block
