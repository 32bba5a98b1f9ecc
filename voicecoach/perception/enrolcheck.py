"""Is this a partner's voice? The check an enrolment answer must pass before it is learnt.

An enrolment teaches the detectors a voice and its calm register; learning a tone, a fan
or music as "Sam" makes every later sound of it look like Sam shouting (the issue that
motivated this: 30 false alarms in an hour). So an answer is accepted only when it is

- **enough speech**: voiced speech (webrtcvad speech with a YIN pitch) of at least
  ``min_voiced_s``;
- **a voice**: its energy sits in the speech band (``min_band_share`` of it between
  100 Hz and 4 kHz: a fan's rumble or hiss does not), its level moves with syllables
  (``min_level_spread_db``: a tone or a fan is steady), its pitch moves with intonation
  (``min_pitch_range_st``: a tone or a beep holds one pitch), and its spectrum is not one
  sharp line (``max_tonality``: a beep or a whistle);
- **one voice**: the d-vectors of its first and second half agree (``min_halves``);
- **not the coach**: its spectrogram does not follow the coach's last words (an echo,
  ``max_echo``);
- **not the other partner again**: its d-vector is not as close to an already learnt
  partner as their own speech would be (``same_voice``): "that sounded like Alex again".

Thresholds were chosen on generated speech and sounds and a part of the development
speakers and reported on the others (``benchmarks/enrol_check.py`` prints both).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import webrtcvad

from voicecoach.perception.embedder import Embedder, log_mel
from voicecoach.perception.features import analyse_audio
from voicecoach.perception.speakers import semitones, speech_frames
from voicecoach.perception.vad import AGGRESSIVENESS, vad_flags
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE

# Reasons, in the order they are tested (the first that fails is the one reported).
OK = "ok"
TOO_LITTLE = "too_little"  # not enough voiced speech
NOT_SPEECH = "not_speech"  # a tone, a fan, music: no voice in it
TWO_VOICES = "two_voices"
ECHO = "echo"  # the coach's own voice coming back
SAME_VOICE = "same_voice"  # a partner already learnt


@dataclass(frozen=True)
class EnrolCheckConfig:
    min_speech_s: float = 1.2  # s of speech (webrtcvad, within 30 dB of its loud part)
    min_voiced_s: float = (
        0.3  # ... of which voiced (YIN pitch; Piper's voice: a third, less in noise)
    )
    min_band_share: float = 0.65  # energy 100 Hz - 4 kHz over 50 Hz - 8 kHz
    min_level_spread_db: float = 3.0  # 10-90 % spread of the voiced frames' level
    min_pitch_range_st: float = 1.0  # 10-90 % spread of the voiced frames' pitch
    max_tonality: float = 0.9  # median share of a frame's energy in its strongest line
    max_pitch_flat: float = 0.6  # share of voiced frame pairs whose pitch holds still
    min_halves: float = 0.5  # cosine between the halves' d-vectors (one voice)
    halves_min_s: float = 1.6  # s of speech each half needs for that test to be made
    max_echo: float = 0.5  # correlation with the coach's last words (`echo_score`)
    same_voice: float = 0.8  # cosine to a learnt partner that means the same voice


@dataclass(frozen=True)
class Heard:
    """What an enrolment answer contained (measurements behind the verdict)."""

    duration_s: float
    speech_s: float
    voiced_s: float
    band_share: float
    level_spread_db: float
    pitch_range_st: float
    tonality: float
    pitch_flat: float
    halves: float | None  # cosine between the halves' d-vectors; None: too short to split
    echo: float  # spectrogram correlation with the coach's audio (0 without it)
    sims: dict[str, float] = field(default_factory=dict)  # cosine to each learnt partner
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # OK or one of the refusal reasons above
    heard: Heard
    like: str | None = None  # SAME_VOICE: whose voice it sounded like

    def describe(self, name: str) -> str:
        """One sentence for a person: why ``name``'s answer was (not) taken."""
        return describe(self.reason, name, self.like)


def describe(reason: str, name: str, like: str | None = None) -> str:
    if reason == OK:
        return f"learned {name}'s voice"
    if reason == TOO_LITTLE:
        return f"too little speech to learn {name}'s voice (a sentence or two is needed)"
    if reason == NOT_SPEECH:
        return f"that did not sound like a voice to learn as {name}'s (a tone, noise or music?)"
    if reason == TWO_VOICES:
        return f"more than one voice was heard, so it was not learned as {name}'s"
    if reason == ECHO:
        return f"only the coach's own voice came back, not {name}'s"
    if reason == SAME_VOICE:
        return f"that sounded like {like} again, not {name}"
    return f"{name}'s voice was not learned ({reason})"


class EnrolmentCheck:
    """Judges enrolment answers; holds the d-vector model (shared with a listener if given)."""

    def __init__(
        self, config: EnrolCheckConfig | None = None, embedder: Embedder | None = None
    ) -> None:
        self.cfg = config or EnrolCheckConfig()
        self.embedder = embedder or Embedder()

    def judge(
        self,
        audio: np.ndarray,
        partners: Mapping[str, np.ndarray] | None = None,
        coach: np.ndarray | None = None,
    ) -> Verdict:
        """``audio``: the answer (16 kHz mono float32). ``partners``: name -> unit d-vector
        of each voice already learnt. ``coach``: the coach's latest audio, if it may be
        heard (echo)."""
        cfg = self.cfg
        x = np.nan_to_num(np.asarray(audio, dtype=np.float32).ravel())
        block = analyse_audio(x)
        duration = len(x) / SAMPLE_RATE
        empty = Heard(duration, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None, 0.0)
        if len(block) == 0:
            return Verdict(False, TOO_LITTLE, empty)
        vad = vad_flags(block.pcm, block.level_db, webrtcvad.Vad(AGGRESSIVENESS))
        speech = speech_frames(block, vad)
        voiced = speech & (block.f0 > 0)
        speech_s = float(speech.sum() * FRAME_S)
        voiced_s = float(voiced.sum() * FRAME_S)
        # The coach's echo first: a reverberant echo is poorly voiced, and "too little"
        # would be the wrong thing to tell the partner.
        echo = echo_score(x, coach) if coach is not None and len(coach) else 0.0
        if speech_s >= cfg.min_speech_s and echo > cfg.max_echo:
            return Verdict(
                False,
                ECHO,
                dataclasses.replace(empty, speech_s=speech_s, voiced_s=voiced_s, echo=echo),
            )
        if speech_s < cfg.min_speech_s or voiced.sum() < 10:
            return Verdict(
                False, TOO_LITTLE, dataclasses.replace(empty, speech_s=speech_s, voiced_s=voiced_s)
            )
        pcm = block.pcm[speech]
        band = band_share(pcm)
        lv = block.level_db[voiced]
        spread = float(np.subtract(*np.percentile(lv, [90, 10])))
        st = semitones(block.f0[voiced])
        prange = float(np.subtract(*np.percentile(st, [90, 10])))
        flat = pitch_flatness(block.f0, voiced)
        tone = tonality(block.pcm[voiced])
        clip = np.concatenate(list(pcm))
        emb = self.embedder.embed(clip, max_windows=12)
        halves = None
        n = len(clip)
        if n * 0.5 >= cfg.halves_min_s * SAMPLE_RATE:
            a = self.embedder.embed(clip[: n // 2], max_windows=6)
            b = self.embedder.embed(clip[n // 2 :], max_windows=6)
            halves = float(a @ b)
        sims = {k: float(emb @ v) for k, v in (partners or {}).items()}
        heard = Heard(
            duration, speech_s, voiced_s, band, spread, prange, tone, flat, halves, echo, sims, emb
        )
        if (
            voiced_s < cfg.min_voiced_s
            or flat > cfg.max_pitch_flat
            or band < cfg.min_band_share
            or spread < cfg.min_level_spread_db
            or prange < cfg.min_pitch_range_st
            or tone > cfg.max_tonality
        ):
            return Verdict(False, NOT_SPEECH, heard)
        if halves is not None and halves < cfg.min_halves:
            return Verdict(False, TWO_VOICES, heard)
        if sims:
            like, sim = max(sims.items(), key=lambda kv: kv[1])
            if sim >= cfg.same_voice:
                return Verdict(False, SAME_VOICE, heard, like)
        return Verdict(True, OK, heard)


_N_FFT = 512
_F = np.fft.rfftfreq(_N_FFT, 1.0 / SAMPLE_RATE)
_ALL = (_F >= 50) & (_F < 8000)
_BAND = (_F >= 100) & (_F < 4000)


def band_share(frames: np.ndarray) -> float:
    """Share of the energy of (n, 480) frames between 100 Hz and 4 kHz (of 50 Hz-8 kHz)."""
    if len(frames) == 0:
        return 0.0
    spec = np.abs(np.fft.rfft(np.asarray(frames, np.float64) * np.hanning(frames.shape[1]), _N_FFT))
    p = (spec**2).sum(axis=0)
    return float(p[_BAND].sum() / (p[_ALL].sum() + 1e-20))


def tonality(frames: np.ndarray) -> float:
    """Median over frames of the share of a frame's energy within +-2 bins (62 Hz) of its
    strongest spectral line: a beep ~0.9, a voice's many harmonics well below."""
    if len(frames) == 0:
        return 0.0
    spec = np.abs(np.fft.rfft(np.asarray(frames, np.float64) * np.hanning(frames.shape[1]), _N_FFT))
    p = spec**2
    k = np.argmax(p, axis=1)
    rows = np.arange(len(p))
    peak = sum(p[rows, np.clip(k + d, 0, p.shape[1] - 1)] for d in (-2, -1, 0, 1, 2))
    return float(np.median(peak / (p.sum(axis=1) + 1e-20)))


def pitch_flatness(f0: np.ndarray, voiced: np.ndarray, still_st: float = 0.1) -> float:
    """Share of neighbouring voiced frames whose pitch moves less than ``still_st``
    semitones: a voice glides all the time, a note or a beep holds its pitch."""
    idx = np.flatnonzero(voiced)
    pairs = idx[1:][np.diff(idx) == 1]
    if len(pairs) == 0:
        return 0.0
    d = np.abs(semitones(f0[pairs]) - semitones(f0[pairs - 1]))
    return float(np.mean(d < still_st))


def echo_score(audio: np.ndarray, coach: np.ndarray) -> float:
    """How closely ``audio`` follows a stretch of ``coach``'s audio at its best lag: the
    mean over 8 spectral bands of the correlation in time of the band's level (each
    frame's mean level removed: the spectral motion of the words, not the gain). The
    coach's own words coming back, late and reverberant, follow it (0.67-0.80 measured
    with a 0.4 s room echo); another voice's words, even from the same synthetic voice,
    do not (0.27-0.31). An answer longer than the coach's audio (by more than its echo
    tail) holds something else and is never an echo."""
    a, c = _motion(audio), _motion(coach)
    if len(a) < 50 or len(c) < 50 or len(a) > len(c) + 50:
        return 0.0
    a = a[: len(c)]
    best = 0.0
    # The echo arrives late by the device latency and lasts the room's tail: slide the
    # answer along the coach's frames (20 ms steps), always wholly inside them.
    for off in range(0, len(c) - len(a) + 1, 2):
        seg = c[off : off + len(a)]
        r = (a * seg).sum(axis=0) / (np.sqrt((a * a).sum(axis=0) * (seg * seg).sum(axis=0)) + 1e-9)
        best = max(best, float(np.mean(r)))
    return best


def _motion(x: np.ndarray) -> np.ndarray:
    """(frames, 8) band levels from the log-mel (10 ms hop), each frame's mean level
    removed, each band standardised over time."""
    m = log_mel(np.asarray(x, dtype=np.float64))
    m = m.reshape(len(m), 8, -1).mean(axis=2)
    m = m - m.mean(axis=1, keepdims=True)
    return (m - m.mean(axis=0)) / (m.std(axis=0) + 1e-9)
