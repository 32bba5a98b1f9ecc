"""Raised voice: a partner's voice well above their OWN calm baseline, sustained.

Each voiced frame gets a vocal-effort score: a weighted sum of how far level, pitch and
spectral tilt sit above that speaker's baseline, in units of a typical calm spread.
Loudness alone is not trusted (laptop AGC flattens it): shouting also raises pitch and
flattens the spectral tilt (more energy above 1 kHz), which AGC does not undo.

The frame scores are averaged over the last second of that speaker's voiced frames.
Hysteresis: an episode starts when the average crosses ``on`` and lasts until it has
stayed below ``off`` for ``calm_s`` seconds (silence counts as calm). One episode gives
one alarm, and a new alarm also needs ``cooldown_s`` since the previous one.

A baseline measured on a second or two of voiced speech may sit a few dB off the voice's
calm register (vowels, a question's tune); a calm sentence then looks raised, and a
false alarm in a calm talk is the worst failure. So ``on`` is raised by the baseline's
standard error in effort units (`baseline_margin`), which shrinks as calm speech refines
the baseline (`Baseline.adapt`).

Readiness (`set_readiness`, from the words: criticism and contempt heard recently)
lowers ``on`` by up to ``max_readiness`` of itself. It only makes the detector quicker
to believe a voice that is already clearly above its baseline: calm speech scores ~0,
far below even the lowered threshold, so words alone never sound an alarm.

Mildly angry speech (acted "normal intensity" anger) is, by design, not flagged on its
own. Measured against each actor's calm calibration (`cuestats`, RAVDESS dev actors
1-4), it sits about +2.3 st in pitch, +0.2 dB in tilt and 0 dB in H1-H2 from calm: less
effortful on every cue than strong joy, fear or surprise, which the detector must not
flag. No cue ranks mild anger above those emotions for every actor (per-actor AUC of
level, pitch, tilt, aperiodicity each fall below 0.5 for at least one actor; only
H1-H2 stays above, at 0.62-0.79), and a leave-one-actor-out grid over the weights of
pitch, tilt, H1-H2 and aperiodicity, thresholded so that at most 15 % of the other
emotions and 2 % of calm clips alarm in training, catches 25 % of held-out mild clips
while 16-19 % of other emotions and 9-12 % of calm clips alarm. Readiness does not
change that: mild anger peaks at ~0.2 (median) after the margin, below even the lowest
readiness threshold (0.45). A mildly angry exchange is seen through its words (criticism
and contempt are logged as cues) and through interruptions, not through the voice.

A speech-emotion model would need to ship inside a PyPI package (no hub at run time),
run on onnxruntime/numpy and carry a GPL-compatible licence. None did (searched November
2026): the SER packages there either download weights at run time, need torch, or carry
a small model trained on RAVDESS itself without an anger class. The signal does exist in
a model the project already ships: the mean of the Whisper encoder's output, taken relative
to the speaker's calm calibration. With a linear head trained on three dev actors and
tested on the fourth, mild anger outranks joy, fear and surprise at a per-actor AUC of
0.83-1.00 (base) or 0.88-0.97 (tiny.en). But one threshold shared by all speakers does not
hold: actor 2's mild clips were never flagged and actor 1 flagged 38 % of excited clips.
A head also needs emotional speech from many speakers under a licence we may ship;
RAVDESS is non-commercial.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np

from voicecoach.perception.features import frame_time
from voicecoach.perception.speakers import Baseline
from voicecoach.perception.types import RaisedVoice
from voicecoach.timebase import FRAME_MS, frame_count

log = logging.getLogger(__name__)

FRAME_S = FRAME_MS / 1000.0


@dataclass(frozen=True)
class RaisedConfig:
    # Weights fitted on acted speech (RAVDESS dev actors, as recorded and level-normalised):
    # joy, fear and surprise raise pitch and level as much as anger does, so level and
    # pitch barely separate a fight from excitement, and AGC removes level anyway. What
    # sets anger apart is vocal effort: a flatter spectral tilt and pressed phonation
    # (low H1-H2). Level therefore has no weight by default (any weight on it raised false
    # alarms on excited speech without catching more anger); keep it configurable.
    w_level: float = 0.0
    w_pitch: float = 0.10
    w_tilt: float = 0.30
    w_h1h2: float = 0.20
    level_unit_db: float = 6.0  # a clearly louder voice
    pitch_unit_st: float = 3.0  # a clearly higher voice
    tilt_unit_db: float = 4.0  # a clearly brighter (more effortful) voice
    h1h2_unit_db: float = 3.0  # a clearly more pressed voice
    window_s: float = 1.5  # averaging window (media time): sustained, not one syllable
    min_voiced_s: float = 0.24  # voiced speech needed in the window to judge (8 frames)
    on: float = 0.65
    sustain_s: float = 0.3  # the average must stay above `on` this long (not one burst)
    off: float = 0.325
    calm_s: float = 3.0
    cooldown_s: float = 8.0
    # A baseline from little speech is uncertain: its medians may sit a few dB off the
    # voice's true calm register, and a calm sentence with other vowels or a question's
    # rising tune then looks raised. `on` is raised by `uncertainty` times the
    # standard error of the baseline (in effort units; frames of one vowel are far from
    # independent, hence `frames_per_sample`), so short enrolments need clearer anger.
    uncertainty: float = 0.75
    frames_per_sample: float = 3.0
    max_margin: float = 0.5  # however little the enrolment, shouting must still show
    max_readiness: float = 0.3  # the most readiness may lower `on` (fraction of it)
    min_on: float = 0.45  # ... and never below this: well above calm speech's ~0


def frame_effort(
    cfg: RaisedConfig,
    base: Baseline,
    level_db: np.ndarray,
    pitch_st: np.ndarray,
    tilt_db: np.ndarray,
    h1h2_db: np.ndarray,
) -> np.ndarray:
    """Per-frame effort score vs the baseline (0 = calm; ~0.5+ = clearly raised)."""
    zl = np.clip((level_db - base.level_db) / cfg.level_unit_db, -2.0, 4.0)
    zp = np.clip((pitch_st - base.pitch_st) / cfg.pitch_unit_st, -2.0, 4.0)
    zt = np.clip((tilt_db - base.tilt_db) / cfg.tilt_unit_db, -2.0, 4.0)
    zh = np.clip((base.h1h2_db - h1h2_db) / cfg.h1h2_unit_db, -2.0, 4.0)
    return cfg.w_level * zl + cfg.w_pitch * zp + cfg.w_tilt * zt + cfg.w_h1h2 * zh


def baseline_margin(cfg: RaisedConfig, base: Baseline) -> float:
    """How much higher than ``on`` the score must rise for how little speech ``base``
    rests on (effort units)."""
    n = max(base.voiced_s / FRAME_S / cfg.frames_per_sample, 1.0)

    def se(sd: float) -> float:
        return 1.25 * sd / np.sqrt(n)  # standard error of a median

    m = (
        cfg.w_level * se(base.level_sd) / cfg.level_unit_db
        + cfg.w_pitch * se(base.pitch_sd) / cfg.pitch_unit_st
        + cfg.w_tilt * se(base.tilt_sd) / cfg.tilt_unit_db
        + cfg.w_h1h2 * se(base.h1h2_sd) / cfg.h1h2_unit_db
    )
    return float(min(cfg.uncertainty * m, cfg.max_margin))


class _SpeakerState:
    def __init__(self) -> None:
        self.recent: deque[tuple[int, float]] = deque()
        self.in_episode = False
        self.last_alarm = -1e9  # s
        self.last_above_off = -1e9  # s
        self.run_start: int | None = None  # first frame of the current above-off run
        self.above_on_since: float | None = None  # s, when the average last crossed `on`


class RaisedVoiceDetector:
    """Frame-by-frame, per speaker; feed only frames attributed to that speaker."""

    def __init__(self, config: RaisedConfig | None = None) -> None:
        self.cfg = config or RaisedConfig()
        self._state: dict[str, _SpeakerState] = {}
        self.last_score: dict[str, float] = {}
        self.readiness = 0.0

    def set_readiness(self, readiness: float) -> None:
        """0..1: how primed the conversation is (language cues); see the module doc."""
        self.readiness = float(np.clip(readiness, 0.0, 1.0))

    @property
    def on(self) -> float:
        """The episode threshold now: ``on`` lowered moderately by readiness."""
        cfg = self.cfg
        lowered = cfg.on * (1.0 - min(self.readiness, cfg.max_readiness))
        return max(lowered, min(cfg.min_on, cfg.on))

    def step(
        self, frame: int, speaker: str, effort: float | None, margin: float = 0.0
    ) -> RaisedVoice | None:
        """``effort``: this frame's score, or None for a frame that is not voiced speech.
        ``margin``: how much higher the average must rise to start an episode (the
        baseline's uncertainty, `baseline_margin`); the onset and the episode's end are
        still measured against ``off``."""
        cfg = self.cfg
        st = self._state.setdefault(speaker, _SpeakerState())
        t_end = frame_time(frame + 1)
        window = frame_count(cfg.window_s)
        if effort is not None:
            st.recent.append((frame, effort))
        while st.recent and st.recent[0][0] <= frame - window:
            st.recent.popleft()
        if len(st.recent) < frame_count(cfg.min_voiced_s):
            score = None
        else:
            score = float(np.mean([e for _, e in st.recent]))
        if score is not None:
            self.last_score[speaker] = score
        if score is not None and score >= cfg.off:
            st.last_above_off = t_end
            if st.run_start is None:
                st.run_start = next((f for f, e in st.recent if e >= cfg.off), frame)
        elif t_end - st.last_above_off > FRAME_S:
            st.run_start = None
        if st.in_episode and t_end - st.last_above_off >= cfg.calm_s:
            st.in_episode = False
            log.debug("raised-voice episode of %s over at %.2f", speaker, t_end)
        if score is not None and score >= self.on + margin:
            if st.above_on_since is None:
                st.above_on_since = t_end - FRAME_S
        else:
            st.above_on_since = None
        sustained = (
            st.above_on_since is not None and t_end - st.above_on_since >= cfg.sustain_s - 1e-9
        )
        if (
            effort is not None
            and score is not None
            and sustained
            and not st.in_episode
            and t_end - st.last_alarm >= cfg.cooldown_s
        ):
            st.in_episode = True
            st.last_alarm = t_end
            start = frame_time(self._onset(st, frame))
            # Strength against the configured threshold: readiness makes the detector
            # quicker, it does not make a voice sound more raised.
            strength = float(np.clip((score - margin) / (2.0 * cfg.on), 0.0, 1.0))
            return RaisedVoice(
                t=t_end, start=start, end=t_end, speaker=speaker, score=round(strength, 3)
            )
        return None

    def in_episode(self, speaker: str) -> bool:
        st = self._state.get(speaker)
        return st is not None and st.in_episode

    def _onset(self, st: _SpeakerState, frame: int) -> int:
        """Where the raised stretch began: the start of the maximum-sum suffix of
        (effort - off) over the recent voiced frames (the calm frames before it pull the
        sum down, the raised ones after it push it up)."""
        if not st.recent:
            return frame
        frames = [f for f, _ in st.recent]
        excess = np.array([e for _, e in st.recent]) - self.cfg.off
        suffix = np.cumsum(excess[::-1])[::-1]
        return frames[int(np.argmax(suffix))]

    def tick_silence(self, frame: int) -> None:
        """Frames with nobody speaking: age every speaker's window."""
        for speaker in list(self._state):
            self.step(frame, speaker, None)
