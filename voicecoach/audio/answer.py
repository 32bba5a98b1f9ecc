"""Recording one spoken answer from a source: from the first speech to a pause after enough
of it (the end is found on media time, so a file gives the same cut as a microphone)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voicecoach.audio.base import AudioSource
from voicecoach.perception.vad import AGGRESSIVENESS, LEVEL_FLOOR_DB
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE


@dataclass(frozen=True)
class AnswerLimits:
    enough_speech_s: float = 6.0  # speech that makes a good enrolment (a few sentences)
    end_silence_s: float = 1.2  # ... then a pause this long ends the answer
    max_s: float = 25.0  # never record longer than this
    wait_s: float = 10.0  # no speech at all this long: nobody answered
    lead_s: float = 0.3  # audio kept from before the first speech


def record_answer(source: AudioSource, limits: AnswerLimits | None = None) -> np.ndarray:
    """The answer's audio (16 kHz float32; empty if nobody spoke). Closes ``source``."""
    lim = limits or AnswerLimits()
    vad = webrtcvad.Vad(AGGRESSIVENESS)
    frames: list[np.ndarray] = []
    pending = np.zeros(0, np.float32)
    speech_frames = 0
    first: int | None = None
    quiet = 0
    try:
        for chunk in source.chunks():
            pending = np.concatenate([pending, np.asarray(chunk, np.float32).ravel()])
            while len(pending) >= FRAME_SAMPLES:
                fr, pending = pending[:FRAME_SAMPLES], pending[FRAME_SAMPLES:]
                frames.append(fr)
                level = 10 * np.log10(float(np.mean(fr.astype(np.float64) ** 2)) + 1e-10)
                pcm = (np.clip(fr, -1, 1) * 32767).astype("<i2").tobytes()
                speech = level > LEVEL_FLOOR_DB and vad.is_speech(pcm, SAMPLE_RATE)
                if speech:
                    speech_frames += 1
                    quiet = 0
                    if first is None:
                        first = len(frames) - 1
                else:
                    quiet += 1
                n = len(frames)
                if first is None and n * FRAME_S >= lim.wait_s:
                    return np.zeros(0, np.float32)
                done = (
                    speech_frames * FRAME_S >= lim.enough_speech_s
                    and quiet * FRAME_S >= lim.end_silence_s
                )
                if done or n * FRAME_S >= lim.max_s:
                    return _cut(frames, first, lim)
    finally:
        source.close()
    return _cut(frames, first, lim)


def _cut(frames: list[np.ndarray], first: int | None, lim: AnswerLimits) -> np.ndarray:
    if first is None or not frames:
        return np.zeros(0, np.float32)
    start = max(0, first - int(round(lim.lead_s / FRAME_S)))
    return np.concatenate(frames[start:]).astype(np.float32)
