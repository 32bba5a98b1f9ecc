"""Who is speaking: voice profiles (d-vector + frame model + pitch) and their attribution.

A profile is learnt from a sentence or two (enrolment, or a new voice's first utterance
when nobody enrolled). Attribution combines the utterance's d-vector (cosine to each
profile) with a frame-level cepstral Gaussian and the pitch register, and answers
UNKNOWN when the evidence is weak or ambiguous instead of forcing a name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from voicecoach.perception.features import FrameBlock
from voicecoach.perception.types import UNKNOWN

log = logging.getLogger(__name__)


def semitones(f0: np.ndarray | float) -> np.ndarray:
    """Pitch in semitones re 100 Hz (a perceptual scale: raising is additive)."""
    return 12.0 * np.log2(np.maximum(np.asarray(f0, dtype=np.float64), 1e-3) / 100.0)


def speech_frames(block: FrameBlock, vad: np.ndarray | None = None) -> np.ndarray:
    """Frames worth measuring: VAD speech (if given) within 30 dB of the loud part."""
    if len(block) == 0:
        return np.zeros(0, dtype=bool)
    ok = np.ones(len(block), dtype=bool) if vad is None else vad.astype(bool)
    if not ok.any():
        return ok
    top = np.percentile(block.level_db[ok], 95)
    return ok & (block.level_db > top - 30.0)


PLAUSIBLE = 3.0  # squared Mahalanobis distance per cepstrum (its mean is 1 on the voice)


def shrinkage(n_frames: int, dims: int) -> float:
    """How far a frame model's covariance is pulled toward its diagonal. A few hundred
    frames do not pin down dims*(dims-1)/2 covariances, and an enrolment whose speech is
    short (1.4 s of a 4 s answer happens) leaves them noisier still: an over-fitted
    model is confidently wrong on new sentences, so the pull grows as frames per
    dimension fall (0.2 from 5 frames per dimension up)."""
    return float(min(1.0, max(0.2, dims / max(n_frames, 1))))


@dataclass
class FrameModel:
    """Full-covariance Gaussian on the cepstra: cheap per-frame speaker likelihood."""

    mean: np.ndarray
    prec: np.ndarray  # inverse covariance
    logdet: float

    @classmethod
    def fit(cls, x: np.ndarray) -> FrameModel:
        mean = x.mean(axis=0)
        cov = np.cov(x.T) if len(x) > 1 else np.eye(x.shape[1])
        a = shrinkage(*x.shape)
        cov = (1 - a) * cov + a * np.diag(np.diag(cov)) + 1e-3 * np.eye(len(mean))
        sign, logdet = np.linalg.slogdet(cov)
        return cls(mean, np.linalg.inv(cov), float(logdet))

    def loglik(self, x: np.ndarray) -> np.ndarray:
        d = x - self.mean
        return -0.5 * (np.einsum("ij,jk,ik->i", d, self.prec, d) + self.logdet)

    def plausible(self, loglik: np.ndarray) -> np.ndarray:
        """Frames (given their `loglik`) this voice could have said: squared Mahalanobis
        distance within ``PLAUSIBLE`` per cepstrum. A voice's new sentences stay well
        inside (generated voices: 90 % of frames below 1.8 per cepstrum, none above 3),
        a stranger's frames mostly fall outside every partner's model."""
        return -2.0 * loglik - self.logdet <= PLAUSIBLE * len(self.mean)


@dataclass
class Baseline:
    """A voice's calm register: medians and spreads of level, pitch, tilt and H1-H2.

    ``voiced_s`` says how much speech the medians rest on: a 2 s enrolment pins them
    down far less than a minute of calm talk (see `raised.baseline_margin`), and
    `adapt` folds later calm speech in."""

    level_db: float
    pitch_st: float
    tilt_db: float
    pitch_range_st: float  # 10-90 % spread of pitch, semitones
    voiced_s: float  # seconds of voiced speech it rests on
    h1h2_db: float = 0.0
    # Frame-to-frame standard deviations (robust, from the interquartile range).
    level_sd: float = 4.0
    pitch_sd: float = 2.0
    tilt_sd: float = 5.0
    h1h2_sd: float = 5.0
    enrol: dict[str, float] = field(default_factory=dict)  # enrolment medians

    @classmethod
    def measure(cls, block: FrameBlock, mask: np.ndarray) -> Baseline | None:
        voiced = mask & (block.f0 > 0)
        if voiced.sum() < 10:
            return None
        st = semitones(block.f0[voiced])
        lo, hi = np.percentile(st, [10, 90])
        vals = {
            "level_db": block.level_db[voiced],
            "pitch_st": st,
            "tilt_db": block.tilt_db[voiced],
            "h1h2_db": block.h1h2_db[voiced],
        }
        med = {k: float(np.median(v)) for k, v in vals.items()}
        sd = {k: float(np.subtract(*np.percentile(v, [75, 25])) / 1.349) for k, v in vals.items()}
        voiced_s = float(voiced.sum() * 0.03)
        return cls(
            level_db=med["level_db"],
            pitch_st=med["pitch_st"],
            tilt_db=med["tilt_db"],
            pitch_range_st=float(hi - lo),
            voiced_s=voiced_s,
            h1h2_db=med["h1h2_db"],
            level_sd=sd["level_db"],
            pitch_sd=sd["pitch_st"],
            tilt_sd=sd["tilt_db"],
            h1h2_sd=sd["h1h2_db"],
            enrol=med,
        )

    def adapt(self, other: Baseline, max_s: float = 30.0, max_shift: float = 0.5) -> None:
        """Fold calm speech measured later (``other``) into the medians, weighted by
        voiced time; the weight of the past is capped at ``max_s`` so it keeps following
        the voice slowly (microphone, time of day). No median may move more than
        ``max_shift`` of its frame spread above the enrolment value in the raised
        direction: a slow escalation must not teach the baseline that shouting is calm."""
        w_old = min(self.voiced_s, max_s)
        w_new = other.voiced_s
        a = w_new / (w_old + w_new)
        for key, sd_key, sign in (
            ("level_db", "level_sd", 1),
            ("pitch_st", "pitch_sd", 1),
            ("tilt_db", "tilt_sd", 1),
            ("h1h2_db", "h1h2_sd", -1),
        ):
            v = (1 - a) * getattr(self, key) + a * getattr(other, key)
            ref = self.enrol.get(key, getattr(self, key))
            cap = max_shift * getattr(self, sd_key)
            v = min(v, ref + cap) if sign > 0 else max(v, ref - cap)
            setattr(self, key, float(v))
            setattr(
                self, sd_key, float((1 - a) * getattr(self, sd_key) + a * getattr(other, sd_key))
            )
        self.voiced_s = float(min(self.voiced_s + w_new, 10 * max_s))


@dataclass
class VoiceProfile:
    name: str
    embedding: np.ndarray  # unit d-vector
    frames: FrameModel | None
    baseline: Baseline | None
    n_utts: int = 1
    enrolled: bool = True
    _emb_sum: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment, arg-type]

    def absorb(self, emb: np.ndarray) -> None:
        """Auto-discovered voices sharpen their centroid as they speak more."""
        if self._emb_sum is None:
            self._emb_sum = self.embedding.copy()
        self._emb_sum = self._emb_sum + emb
        self.embedding = self._emb_sum / np.linalg.norm(self._emb_sum)
        self.n_utts += 1


@dataclass(frozen=True)
class Attribution:
    speaker: str
    confidence: float  # margin-based, 0..1
    sims: dict[str, float]


class SpeakerBank:
    """The voices known so far, and the attribution rule."""

    def __init__(
        self,
        accept: float = 0.5,
        margin: float = 0.08,
        new_voice: float = 0.45,
        auto: bool = True,
        max_auto: int = 4,
    ) -> None:
        self.accept = accept  # cosine needed to name a voice
        self.margin = margin  # over the runner-up, or it is ambiguous
        self.new_voice = new_voice  # below this to every known voice: a new person
        self.auto = auto
        self.max_auto = max_auto
        self.profiles: list[VoiceProfile] = []
        self.frame_margin = 1.0  # nats/frame: a clear frame-model preference
        self.relax = 0.2  # how much lower the cosine may be when the frame model agrees

    @property
    def enrolled(self) -> bool:
        return any(p.enrolled for p in self.profiles)

    def get(self, name: str) -> VoiceProfile | None:
        return next((p for p in self.profiles if p.name == name), None)

    def add(self, profile: VoiceProfile) -> None:
        self.profiles = [p for p in self.profiles if p.name != profile.name] + [profile]

    def attribute(
        self,
        emb: np.ndarray,
        pitch_st: float | None = None,
        accept: float | None = None,
        frame_llr: dict[str, float] | None = None,
        lead: float | None = None,
    ) -> Attribution:
        """Best voice if it is both close enough (``accept``, default the bank's) and
        clearly closer than the runner-up; UNKNOWN otherwise.

        ``frame_llr``: mean per-frame cepstral log-likelihood of each voice over the
        utterance. Where the d-vector hesitates between two partners (similar voices,
        short pieces), a clear frame-model verdict for the d-vector's own favourite
        settles it; a frame-model verdict for the other one makes it UNKNOWN.

        ``lead`` (None: no such rule): where the frame model vouches for a d-vector
        below ``accept``, that voice must still lead the others' cosines by this much: a
        stranger is far from both partners, so their d-vector is weak and level for
        both, and the frame model, knowing only the partners, always prefers one."""
        accept = self.accept if accept is None else accept
        if not self.profiles:
            return Attribution(UNKNOWN, 0.0, {})
        sims = {p.name: float(emb @ p.embedding) for p in self.profiles}
        scored = dict(sims)
        if pitch_st is not None:
            for p in self.profiles:
                if p.baseline is None:
                    continue
                # Raised voices go up, never far down: only a voice much lower than the
                # profile's calm register counts against it.
                below = p.baseline.pitch_st - pitch_st
                if below > 4.0:
                    scored[p.name] -= 0.05 * (below - 4.0)
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        best, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else -1.0
        fm_best, fm_margin = None, 0.0
        if frame_llr and len(frame_llr) >= 2:
            fr = sorted(frame_llr.items(), key=lambda kv: -kv[1])
            fm_best, fm_margin = fr[0][0], fr[0][1] - fr[1][1]
        if (
            fm_best is not None
            and fm_margin >= self.frame_margin
            and fm_best != best
            and s1 - scored[fm_best] >= self.margin
        ):
            return Attribution(UNKNOWN, 0.0, sims)  # the two models clearly disagree
        if s1 >= accept and s1 - s2 >= self.margin:
            conf = float(np.clip((s1 - s2) / 0.3, 0.0, 1.0))
            return Attribution(best, conf, sims)
        if (
            fm_best is not None
            and fm_margin >= self.frame_margin
            and sims[fm_best] >= accept - self.relax
            and s1 - sims[fm_best] < self.margin
            and (lead is None or sims[fm_best] >= accept or _lead(sims, fm_best) >= lead)
        ):
            # The d-vector cannot separate them; the frame model clearly can.
            return Attribution(fm_best, 0.5, sims)
        return Attribution(UNKNOWN, 0.0, sims)

    def frame_loglik(self, mfcc: np.ndarray) -> dict[str, np.ndarray]:
        """Each voice's log-likelihood of each frame. A frame no known voice could have
        said (`FrameModel.plausible`: a stranger, a noise) gets the same value for every
        voice: it says nothing about which of them spoke, and with many cepstra the
        voices' ratio on it swings wildly (a much deeper stranger "is" the deeper partner)."""
        lls = {p.name: p.frames.loglik(mfcc) for p in self.profiles if p.frames is not None}
        if not lls:
            return lls
        known = np.zeros(len(mfcc), dtype=bool)
        for p in self.profiles:
            if p.frames is not None:
                known |= p.frames.plausible(lls[p.name])
        if not known.all():
            top = np.max(list(lls.values()), axis=0)
            lls = {k: np.where(known, v, top) for k, v in lls.items()}
        return lls

    @staticmethod
    def known_frames(lls: dict[str, np.ndarray]) -> np.ndarray:
        """Frames `frame_loglik` gave a say (some known voice could have said them)."""
        if len(lls) < 2:
            return np.ones(len(next(iter(lls.values()))) if lls else 0, dtype=bool)
        return np.ptp(np.stack(list(lls.values())), axis=0) > 0


def _lead(sims: dict[str, float], name: str) -> float:
    """How much ``name``'s cosine exceeds the best other voice's."""
    return sims[name] - max((v for k, v in sims.items() if k != name), default=-1.0)


def build_profile(
    name: str, emb: np.ndarray, block: FrameBlock, mask: np.ndarray, enrolled: bool
) -> VoiceProfile:
    x = block.mfcc[mask]
    frames = FrameModel.fit(x) if len(x) >= 30 else None
    return VoiceProfile(name, emb, frames, Baseline.measure(block, mask), enrolled=enrolled)
