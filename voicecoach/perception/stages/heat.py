"""Heat stage: raised voices, each speaker against their own calm baseline.

Frames of the open segment wait (``pending``) until the segment's speaker is known and
has a baseline; then each voiced frame's vocal effort goes to `RaisedVoiceDetector`
(raised.py holds the rule), if the voice gate (voicegate.py) hears a voice in it: a
beep or an alarm never counts. A baseline learnt from a short enrolment is uncertain, so
the threshold is raised in proportion (`raised.baseline_margin`) until calm utterances
attributed to that voice outside an episode have firmed it up (`Baseline.adapt`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import numpy as np

from voicecoach.perception.raised import (
    RaisedConfig,
    RaisedVoiceDetector,
    baseline_margin,
    frame_effort,
)
from voicecoach.perception.speakers import Baseline, SpeakerBank, semitones, speech_frames
from voicecoach.perception.stages.frames import Frame, block_of
from voicecoach.perception.stages.voicegate import VoiceGate, VoiceGateSettings
from voicecoach.perception.types import RaisedVoice
from voicecoach.timebase import frame_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeatSettings:
    raised: RaisedConfig = field(default_factory=RaisedConfig)
    gate: VoiceGateSettings = field(default_factory=VoiceGateSettings)  # only voices
    adapt_min_s: float = 0.6  # voiced seconds an utterance needs to refine a baseline
    adapt_span_s: float = 0.6  # ... and frames (speech or not) it must span
    adapt_below: float = 0.2  # ... and a mean effort (less the baseline's uncertainty
    # margin, as the raised detector sees it) below this: clearly calm


class Heat:
    def __init__(self, bank: SpeakerBank, settings: HeatSettings) -> None:
        self.bank = bank
        self.cfg = settings
        self.detector = RaisedVoiceDetector(settings.raised)
        self.gate = VoiceGate(settings.gate)
        self.pending: list[Frame] = []  # frames waiting for a speaker with a baseline

    def set_readiness(self, readiness: float) -> None:
        self.detector.set_readiness(readiness)

    def in_episode(self, speaker: str) -> bool:
        return self.detector.in_episode(speaker)

    def step(self, speaker: str, now_s: float) -> list[RaisedVoice]:
        """Score the waiting frames if ``speaker`` has a baseline (else they keep waiting)."""
        prof = self.bank.get(speaker)
        if prof is None or prof.baseline is None:
            return []
        cfg = self.cfg.raised
        margin = baseline_margin(cfg, prof.baseline)
        out: list[RaisedVoice] = []
        for p in self.pending:
            effort = None
            # A beep, an alarm or a buzzer is no voice: its frames are no speech here.
            if p.vad and p.f0_hz > 0 and self.gate.step(p):
                effort = float(
                    frame_effort(
                        cfg,
                        prof.baseline,
                        np.array([p.level_db]),
                        semitones(np.array([p.f0_hz])),
                        np.array([p.tilt_db]),
                        np.array([p.h1h2_db]),
                    )[0]
                )
            rv = self.detector.step(p.idx, speaker, effort, margin)
            if rv is not None:
                out.append(dataclasses.replace(rv, t=max(rv.t, now_s)))
        self.pending = []
        return out

    def silence(self, idx: int) -> None:
        """A frame with nobody speaking: every speaker's window ages."""
        self.detector.tick_silence(idx)

    def adapt(self, speaker: str, frames: list[Frame]) -> None:
        """Calm speech clearly attributed to a voice, outside a raised episode, refines
        that voice's baseline (slowly; see `Baseline.adapt`): a short enrolment's
        uncertainty margin shrinks as the partner keeps talking calmly."""
        prof = self.bank.get(speaker)
        cfg = self.cfg.raised
        if (
            prof is None
            or prof.baseline is None
            or self.detector.in_episode(speaker)
            or len(frames) < frame_count(self.cfg.adapt_span_s)
        ):
            return
        block = block_of(frames)
        mask = speech_frames(block, np.array([f.vad for f in frames]))
        utt = Baseline.measure(block, mask)
        if utt is None or utt.voiced_s < self.cfg.adapt_min_s:
            return
        voiced = mask & (block.f0 > 0)
        effort = frame_effort(
            cfg,
            prof.baseline,
            block.level_db[voiced],
            semitones(block.f0[voiced]),
            block.tilt_db[voiced],
            block.h1h2_db[voiced],
        )
        if float(np.mean(effort)) - baseline_margin(cfg, prof.baseline) >= self.cfg.adapt_below:
            return  # not clearly calm: never learn from it
        prof.baseline.adapt(utt)
        log.debug(
            "baseline of %s adapted on %.1f s (now %.1f s)",
            speaker,
            utt.voiced_s,
            prof.baseline.voiced_s,
        )
