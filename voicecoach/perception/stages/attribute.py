"""Attribute stage: who said a run of frames, from its d-vector and the frame model.

The d-vector (cosine to each known voice) names a voice; the cheap frame model (each
voice's cepstral Gaussian) settles ties between similar voices and skips d-vectors it
would only confirm. Weak or conflicting evidence gives UNKNOWN, never a forced name.
Without enrolled partners (auto mode) an unmistakably new voice becomes speakerN.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from voicecoach.perception.speakers import (
    Attribution,
    SpeakerBank,
    build_profile,
    semitones,
    speech_frames,
)
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.frames import Frame, block_of, grid, seconds_of, windows_for
from voicecoach.perception.types import UNKNOWN
from voicecoach.timebase import frame_count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttributeSettings:
    accept: float = 0.5  # cosine to name a voice on an utterance
    accept_running: float = 0.4  # ... to follow who speaks mid-utterance (raised voices
    # drift away from the calm enrolment; the utterance's own label stays strict)
    margin: float = 0.08  # over the runner-up
    new_voice: float = 0.45  # below this to all known voices: a new speaker (auto mode)
    auto_speakers: bool = True  # label unenrolled voices speaker1, speaker2, ...
    frame_sure: float = 2.5  # nats/frame: frame model sure enough to skip a re-check
    recheck_s: float = 2.0  # re-embed the latest window this often in long segments
    utterance_windows: int = 2  # cap on d-vector windows per utterance (speed): one per
    # started 3 s, the first being the 0.8 s check's, already computed
    window_per_s: float = 3.0  # ... that one per started this many seconds
    doubt_windows: int = 6  # ... raised to every back-to-back window, up to this many,
    # when those leave the utterance UNKNOWN: compute goes where it is needed
    piece_lead: float | None = 0.0  # cosine: where the frame model vouches for a d-vector
    # below `accept`, that voice must lead the others by this much (None: no such rule);
    # 0 = the frame model may not name a weak voice the d-vector ranks second (strangers
    # named 58.4 -> 54.7 % over 4 sets, couple 97.7 -> 97.5 %; a stricter 0.04 on whole
    # utterances only gained 0.1 more and cost the couple 0.2)
    min_speech_s: float = 0.3  # too little speech to tell a voice
    min_pitch_s: float = 0.15  # voiced speech needed for the pitch register to count
    frame_model_s: float = 0.6  # speech above the level floor the frame model needs
    silent_db: float = -90.0  # frames at or below this level (digital silence) are no
    # evidence for the frame model
    new_voice_s: float = 1.0  # speech a new voice (auto mode) or a centroid update needs
    guess_min_s: float = 0.09  # voiced speech the onset guess needs
    guess_lead: float = 3.0  # nats/frame the onset guess's voice must lead by
    verdict_min_s: float = 0.45  # voiced speech `frame_verdict` needs
    alone_s: float = 0.6  # voiced speech heard alone before a cut-in that names the
    # piece it ends (less: the whole piece, overlap included, is heard)


def relative_ll(lls: dict[str, np.ndarray]) -> dict[str, float]:
    """Per voice, the mean over frames of its log-likelihood less the best voice's in
    that frame, clipped at -8 nats (0: it wins every frame; one frame has a bounded say).
    Speech mostly unlike every known voice (`SpeakerBank.known_frames`: a stranger) gets
    no verdict at all: its few partner-like frames would name the nearer partner.
    No frames (or no voices): no verdict."""
    if not lls or min(len(v) for v in lls.values()) == 0:
        return dict.fromkeys(lls, 0.0)
    if SpeakerBank.known_frames(lls).mean() < 0.5:
        return dict.fromkeys(lls, 0.0)
    best = np.max(list(lls.values()), axis=0)
    return {k: float(np.mean(np.clip(v - best, -8, 0))) for k, v in lls.items()}


def agreed(att: Attribution, llr: dict[str, float] | None, accept: float) -> Attribution:
    """A name given to doubtful speech on a second, longer hearing stands only if the
    d-vector and the frame model both favour that voice and the d-vector is as close as
    a first hearing must be: re-listening to a stranger until one partner edges ahead
    must not name them. Measured with LibriSpeech readers as strangers to enrolled
    pairs: their speech named a partner 64 % of the time before the second hearing
    (the 4 s enrolment d-vectors are weak), 70 % with it under the plain rule, 65 %
    with this one, while the partners' own doubtful utterances were all still named."""
    name = att.speaker
    if name == UNKNOWN:
        return att
    if (
        llr
        and max(att.sims, key=att.sims.__getitem__) == name == max(llr, key=llr.__getitem__)
        and att.sims[name] >= accept
    ):
        return att
    return Attribution(UNKNOWN, 0.0, att.sims)


class Attributor:
    """Names runs of frames against the known voices (``bank``), hearing their windows
    through ``windows``. ``single``: the one voice expected (a solo recording) takes
    all speech."""

    def __init__(
        self, bank: SpeakerBank, windows: WindowEmbeddings, settings: AttributeSettings
    ) -> None:
        self.bank = bank
        self.windows = windows
        self.cfg = settings
        self.single: str | None = None
        self._n_auto = 0

    def auto_name(self) -> str:
        """The next free auto label (speaker1, speaker2, ...)."""
        self._n_auto += 1
        return f"speaker{self._n_auto}"

    def guess(self, frames: list[Frame]) -> str:
        """First guess at onset from the cheap frame model (UNKNOWN unless clear)."""
        voiced = [f for f in frames if f.vad]
        if len(voiced) < frame_count(self.cfg.guess_min_s) or len(self.bank.profiles) < 2:
            return UNKNOWN
        lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
        if not lls:
            return UNKNOWN
        means = sorted(((float(v.mean()), k) for k, v in lls.items()), reverse=True)
        if len(means) >= 2 and means[0][0] - means[1][0] > self.cfg.guess_lead:
            return means[0][1]
        return UNKNOWN

    def frame_verdict(self, frames: list[Frame]) -> str | None:
        """The voice the frame model clearly prefers over these frames, if any. Used to
        skip a d-vector (the costly part: ~55 ms CPU per window) when it would only
        confirm what the frame model already says."""
        voiced = [f for f in frames if f.vad]
        if len(voiced) < frame_count(self.cfg.verdict_min_s) or len(self.bank.profiles) < 2:
            return None
        lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
        if len(lls) < 2:
            return None
        means = sorted(((v, k) for k, v in relative_ll(lls).items()), reverse=True)
        if means[0][0] - means[1][0] >= self.cfg.frame_sure:
            return means[0][1]
        return None

    def running(self, frames: list[Frame]) -> str:
        """Who speaks in the latest window of an open segment (one d-vector window, the
        lower running acceptance)."""
        return self.attribute(frames, max_windows=1, accept=self.cfg.accept_running)

    def utterance(self, frames: list[Frame], learn: bool = False) -> str:
        """Who said a whole utterance or piece (``learn``: auto mode may meet a new voice)."""
        return self.attribute(frames, self.cfg.utterance_windows, learn=learn)

    def attribute(
        self,
        frames: list[Frame],
        max_windows: int,
        learn: bool = False,
        accept: float | None = None,
    ) -> str:
        cfg = self.cfg
        speech = [f for f in frames if f.vad] or frames
        if self.single is not None:
            return self.single
        if len(speech) < frame_count(cfg.min_speech_s):
            return UNKNOWN
        lead = cfg.piece_lead
        emb = self.windows.mean(frames, windows_for(frames, max_windows, cfg.window_per_s))
        f0 = np.array([f.f0_hz for f in speech if f.f0_hz > 0])
        pitch = float(np.median(semitones(f0))) if len(f0) >= frame_count(cfg.min_pitch_s) else None
        llr = None
        voiced = [f for f in speech if f.level_db > cfg.silent_db]
        if len(voiced) >= frame_count(cfg.frame_model_s) and len(self.bank.profiles) >= 2:
            lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
            # No voice with a frame model (enrolled on too little speech): no say.
            llr = relative_ll(lls) if lls else None
        att = self.bank.attribute(emb, pitch, accept, llr, lead)
        if att.speaker == UNKNOWN and max_windows > 1 and llr is not None:
            # One 0.84 s window per 3 s is a thin basis for similar voices: before giving
            # up on a whole utterance, hear more of it (the windows it has are reused).
            # Without the frame model's say (one voice known, few frames) a second
            # hearing could name nobody (`agreed`): it is not paid for.
            more = min(cfg.doubt_windows, len(grid(frames)))
            if more > len(self.windows.embedded(frames)):
                emb = self.windows.mean(frames, more)
                att = agreed(
                    self.bank.attribute(emb, pitch, accept, llr, lead),
                    llr,
                    self.bank.accept if accept is None else accept,
                )
        if not learn or self.bank.enrolled or not cfg.auto_speakers:
            return att.speaker
        # Auto mode: an unmistakably new voice becomes speakerN, calibrated on this
        # (first, hopefully calm) utterance; a known one sharpens its centroid.
        if att.speaker != UNKNOWN:
            prof = self.bank.get(att.speaker)
            if prof is not None and seconds_of(speech) >= cfg.new_voice_s:
                prof.absorb(emb)
            return att.speaker
        if seconds_of(speech) < cfg.new_voice_s:
            return UNKNOWN
        if att.sims and max(att.sims.values()) >= self.bank.new_voice:
            return UNKNOWN
        if len(self.bank.profiles) >= self.bank.max_auto:
            return UNKNOWN
        name = self.auto_name()
        block = block_of(speech)
        mask = speech_frames(block)
        self.bank.add(build_profile(name, emb, block, mask, enrolled=False))
        log.info("new voice %s at %.2f s", name, speech[0].start_s)
        return name
