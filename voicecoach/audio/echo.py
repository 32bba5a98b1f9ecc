"""Echo cancellation: take the coach's own voice out of the microphone signal.

Laptop speakers leak into the laptop microphone. Given what the speaker emitted (the
far-end reference) aligned sample-for-sample with the microphone on the host clock, the
WebRTC AEC3 canceller (pywebrtc-audio) estimates the acoustic delay and echo path itself
and removes the echo while keeping a partner who talks at the same time.

Pure signal processing on chunks: no threads, no devices, no clock.
"""

from __future__ import annotations

import logging

import numpy as np

from voicecoach.timebase import SAMPLE_RATE

log = logging.getLogger(__name__)

AEC_FRAME_SAMPLES = SAMPLE_RATE // 100
"""Samples per 10 ms block, the unit the WebRTC canceller works in (160; not the 30 ms
analysis frame of `timebase`)."""

_AEC3_DELAY_SAMPLES = 128
"""Samples AEC3 itself delays its output (measured on noise: its 64-sample block framing)."""


class EchoCanceller:
    """Chunk-size invariant echo canceller on 10 ms frames.

    ``process(mic, far)`` returns exactly ``len(mic)`` samples: the cleaned microphone
    delayed by a constant ``latency_samples`` (288 = 18 ms: one 10 ms frame, which makes
    any chunking give the same output because only whole frames are processed, plus
    AEC3's own 128). The pass-through backend keeps the same delay, so timing never
    depends on which backend runs.

    ``backend``: "webrtc" (pywebrtc-audio AEC3), "none" (pass-through, same delay), or
    "auto" (webrtc when installed, else pass-through with a warning).
    """

    latency_samples = AEC_FRAME_SAMPLES + _AEC3_DELAY_SAMPLES

    def __init__(self, backend: str = "auto", *, stream_delay_ms: int = 0) -> None:
        self._aec = None
        if backend in ("auto", "webrtc"):
            try:
                from pywebrtc_audio import EchoCanceller as _WebRtcAec
            except ImportError:
                if backend == "webrtc":
                    raise
                log.warning(
                    "pywebrtc-audio is not installed: echo is NOT cancelled "
                    "(pip install pywebrtc-audio); the coach may hear itself"
                )
            else:
                self._aec = _WebRtcAec(
                    sample_rate=SAMPLE_RATE, num_channels=1, stream_delay_ms=stream_delay_ms
                )
        elif backend != "none":
            raise ValueError(f"unknown echo canceller backend {backend!r}")
        self.backend = "webrtc" if self._aec is not None else "none"
        # Fewer than AEC_FRAME_SAMPLES samples, waiting for a whole block.
        self._mic = np.zeros(0, dtype=np.float32)
        self._far = np.zeros(0, dtype=np.float32)
        self._out = self._initial_delay()  # processed, not yet returned
        self.processed_samples = 0

    def _initial_delay(self) -> np.ndarray:
        inner = _AEC3_DELAY_SAMPLES if self._aec is not None else 0
        return np.zeros(self.latency_samples - inner, dtype=np.float32)

    def process(self, mic: np.ndarray, far: np.ndarray | None = None) -> np.ndarray:
        """Cleaned ``mic`` (float32, same length), given the far end emitted meanwhile.

        ``far`` (same length as ``mic``) is what the speaker played at the same times;
        ``None`` means the speaker was silent.
        """
        mic = np.asarray(mic, dtype=np.float32).reshape(-1)
        if far is None:
            far = np.zeros(len(mic), dtype=np.float32)
        far = np.asarray(far, dtype=np.float32).reshape(-1)
        if len(far) != len(mic):
            raise ValueError(f"far ({len(far)}) and mic ({len(mic)}) lengths differ")
        mic_all = np.concatenate([self._mic, mic])
        far_all = np.concatenate([self._far, far])
        whole = len(mic_all) // AEC_FRAME_SAMPLES * AEC_FRAME_SAMPLES
        if whole:
            done = self._run(mic_all[:whole], far_all[:whole])
            self._out = np.concatenate([self._out, done])
            self.processed_samples += whole
        self._mic, self._far = mic_all[whole:], far_all[whole:]
        result, self._out = self._out[: len(mic)], self._out[len(mic) :]
        return result

    def _run(self, mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        if self._aec is None:
            return mic.copy()
        # Whole frames only, so the library never zero-pads a partial frame mid-stream.
        return np.asarray(self._aec.process(mic, far), dtype=np.float32)

    def reset(self) -> None:
        """Forget the learned echo path and buffered samples (e.g. a new device)."""
        if self._aec is not None:
            self._aec.reset()
        self._mic = np.zeros(0, dtype=np.float32)
        self._far = np.zeros(0, dtype=np.float32)
        self._out = self._initial_delay()
        self.processed_samples = 0


def echo_reduction_db(before: np.ndarray, after: np.ndarray) -> float:
    """Power ratio (dB) of an echo-only stretch before vs after cancelling; higher is better."""
    p_before = float(np.mean(np.square(before, dtype=np.float64)))
    p_after = float(np.mean(np.square(after, dtype=np.float64)))
    return 10.0 * np.log10((p_before + 1e-20) / (p_after + 1e-20))
