"""Enrolment: a voice profile (d-vector, frame model, calm baseline) from calm speech.

`EnrolmentCache` remembers what was learnt from a given recording, so the same audio
enrolled again (the evaluation enrols one calibration per actor for dozens of files, a
restarted session re-enrols its partners) does not pay for the embedder again. It is an
object its owner passes around, never module state: two listeners share it only when
someone hands both the same cache.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voicecoach.perception.embedder import Embedder
from voicecoach.perception.features import FrameBlock, analyse_audio, frame_time
from voicecoach.perception.speakers import VoiceProfile, build_profile, speech_frames
from voicecoach.perception.stages.segment import finite_audio
from voicecoach.perception.vad import vad_flags
from voicecoach.timebase import frame_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnrolSettings:
    min_speech_s: float = 0.6  # speech needed to learn a voice at all (20 frames); the
    # message asks for ~1 s because an answer's speech is rarely all kept
    max_windows: int = 12  # d-vector windows spread over the enrolment speech
    cache_entries: int = 64  # recordings remembered before the cache starts afresh


@dataclass(frozen=True)
class Learnt:
    """What one recording taught: its d-vector, its frames, and which were speech."""

    embedding: np.ndarray
    block: FrameBlock
    speech: np.ndarray  # bool per frame


class EnrolmentCache:
    """Recording (and VAD mode) -> what was learnt from it; bounded."""

    def __init__(self, entries: int = EnrolSettings.cache_entries) -> None:
        self.entries = entries
        self._learnt: dict[tuple[str, int], Learnt] = {}

    def get(self, key: tuple[str, int]) -> Learnt | None:
        return self._learnt.get(key)

    def put(self, key: tuple[str, int], learnt: Learnt) -> None:
        if len(self._learnt) > self.entries:
            self._learnt.clear()
        self._learnt[key] = learnt


def learn_voice(
    name: str,
    audio: np.ndarray,
    *,
    enrolled: bool,
    vad_aggressiveness: int,
    embedder: Embedder,
    cache: EnrolmentCache,
    settings: EnrolSettings = EnrolSettings(),
) -> VoiceProfile:
    """A profile of ``name`` from ``audio``; ValueError when it holds too little speech."""
    audio = finite_audio(audio)
    key = (hashlib.sha1(audio.tobytes()).hexdigest(), vad_aggressiveness)
    learnt = cache.get(key)
    if learnt is None:
        block = analyse_audio(audio)
        vad = vad_flags(block.pcm, block.level_db, webrtcvad.Vad(vad_aggressiveness))
        mask = speech_frames(block, vad)
        if mask.sum() < frame_count(settings.min_speech_s):
            raise ValueError(f"not enough speech to learn {name!r}'s voice (need ~1 s or more)")
        emb = embedder.embed(block.pcm[mask].ravel(), max_windows=settings.max_windows)
        learnt = Learnt(emb, block, mask)
        cache.put(key, learnt)
    log.info("learnt voice %s from %.1f s of speech", name, frame_time(learnt.speech.sum()))
    return build_profile(name, learnt.embedding, learnt.block, learnt.speech, enrolled)
