"""The listening pipeline: audio in (any chunk size), perception events out, on media time.

Per 30 ms frame: features (level, YIN pitch, tilt, cepstrum) -> webrtcvad -> segmenter.
Within a speech segment the speaker is first guessed from the frame model, then named from
a d-vector of the first 0.8 s, re-checked every few seconds, and settled on the whole
utterance at its end. Frames attributed to a known voice feed the raised-voice detector
against that voice's baseline; all speech frames feed the interruption/overlap detector.
Every decision depends only on the samples, so replaying a file gives the live events.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import webrtcvad

from voicecoach.perception.embedder import WINDOW_SAMPLES, Embedder
from voicecoach.perception.features import FrameAnalyzer, FrameBlock, analyse_audio, frame_time
from voicecoach.perception.overlap import OverlapConfig, OverlapDetector, TurnChange
from voicecoach.perception.raised import RaisedConfig, RaisedVoiceDetector, frame_effort
from voicecoach.perception.speakers import (
    SpeakerBank,
    build_profile,
    semitones,
    speech_frames,
)
from voicecoach.perception.types import (
    UNKNOWN,
    Interruption,
    Overlap,
    PerceptionEvent,
    RaisedVoice,
    Utterance,
    VoiceStart,
)
from voicecoach.perception.vad import AGGRESSIVENESS, Segmenter, vad_flags
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE, seconds

log = logging.getLogger(__name__)

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
_ENROL_CACHE: dict[tuple[str, int], tuple[np.ndarray, FrameBlock, np.ndarray]] = {}
_WINDOW_FRAMES = -(-WINDOW_SAMPLES // FRAME_SAMPLES)  # 28 frames cover one d-vector window


@dataclass(frozen=True)
class ListenerConfig:
    vad_aggressiveness: int = AGGRESSIVENESS
    hangover_s: float = 0.6  # silence that ends an utterance (see vad.py)
    max_utterance_s: float = 15.0
    recheck_s: float = 2.0  # re-embed the latest window this often in long segments
    utterance_windows: int = 2  # cap on d-vector windows per utterance (speed): one per
    # started 3 s, the first being the 0.8 s check's, already computed
    raised: RaisedConfig = field(default_factory=RaisedConfig)
    overlap: OverlapConfig = field(default_factory=OverlapConfig)
    accept: float = 0.5  # cosine to name a voice on an utterance
    accept_running: float = 0.4  # ... to follow who speaks mid-utterance (raised voices
    # drift away from the calm enrolment; the utterance's own label stays strict)
    margin: float = 0.08  # over the runner-up
    new_voice: float = 0.45  # below this to all known voices: a new speaker (auto mode)
    frame_sure: float = 2.5  # nats/frame: frame model sure enough to skip a re-check
    verify_margin: float = 0.05  # d-vector may lean this much to the floor holder and
    # still confirm a suspected change (in an overlap both voices are in the window)
    auto_speakers: bool = True  # label unenrolled voices speaker1, speaker2, ...


@dataclass
class _Frame:
    """One analysed frame kept while its segment is open."""

    idx: int
    pcm: np.ndarray
    level: float
    f0: float
    aper: float
    tilt: float
    mfcc: np.ndarray
    vad: bool
    h1h2: float


class Listener:
    def __init__(self, config: ListenerConfig | None = None) -> None:
        self.cfg = config or ListenerConfig()
        self._analyzer = FrameAnalyzer()
        self._vad = webrtcvad.Vad(self.cfg.vad_aggressiveness)
        self._seg = Segmenter(
            hangover=int(round(self.cfg.hangover_s / FRAME_S)),
            soft_max=int(round(0.8 * self.cfg.max_utterance_s / FRAME_S)),
            hard_max=int(round(self.cfg.max_utterance_s / FRAME_S)),
        )
        self.bank = SpeakerBank(self.cfg.accept, self.cfg.margin, self.cfg.new_voice,
                                auto=self.cfg.auto_speakers)
        self.embedder = Embedder()
        self._raised = RaisedVoiceDetector(self.cfg.raised)
        self._overlap = OverlapDetector(self.cfg.overlap, verify=self._verify_change)
        self._recent: deque[_Frame] = deque(maxlen=8)
        self._frames: list[_Frame] = []  # frames of the open segment
        self._speaker = UNKNOWN  # current speaker of the open segment
        self._pending: list[_Frame] = []  # frames waiting for a speaker (raised detector)
        self._next_check = 0  # frame index at which to (re)embed
        self._muted = False
        self._queued: list[PerceptionEvent] = []
        self._n_auto = 0
        self._fed = 0  # samples fed so far
        self._single: str | None = None  # the only voice expected (calibrate(single=True))
        self._emb_cache: dict[int, np.ndarray] = {}  # first frame of a window -> d-vector

    # ------------------------------------------------------------------ public API

    @property
    def t(self) -> float:
        """Media time consumed so far (s): every sample fed counts, including the tail of
        a partial 30 ms frame that decisions will see with the next chunk."""
        return seconds(self._fed)

    def enroll(self, name: str, audio: np.ndarray) -> None:
        """Learn a partner's voice and calm baseline from a sentence or two."""
        self._add_voice(name, np.asarray(audio, dtype=np.float32), enrolled=True)

    def calibrate(self, audio: np.ndarray, single: bool = False) -> str:
        """Learn an unnamed voice (auto label) from calm speech; returns its label.

        ``single``: only this one voice is expected (a solo recording): all speech is
        attributed to it, however far a raised voice drifts from the calm d-vector."""
        self._n_auto += 1
        name = f"speaker{self._n_auto}"
        self._add_voice(name, np.asarray(audio, dtype=np.float32), enrolled=False)
        if single:
            self._single = name
        return name

    def set_hangover(self, seconds: float | None) -> None:
        """Silence that ends an utterance from the next frame on; None: the configured one.

        The session shortens it while the coach waits for an answer, so a finished
        answer reaches the dialogue sooner; monitoring keeps the longer default, which
        keeps a speaker's pauses inside one utterance."""
        hangover = self.cfg.hangover_s if seconds is None else seconds
        self._seg.hangover = max(1, int(round(hangover / FRAME_S)))

    def mute(self, muted: bool) -> None:
        """While the coach speaks: close what is open, then ignore the audio."""
        if muted and not self._muted:
            self._queued.extend(self._close_segment(self._analyzer.frames - 1))
        self._muted = muted

    def feed(self, samples: np.ndarray) -> list[PerceptionEvent]:
        """Analyse a chunk (16 kHz mono float32, any length); events in decision order."""
        self._fed += int(np.asarray(samples).size)
        out, self._queued = self._queued, []
        block = self._analyzer.push(np.asarray(samples, dtype=np.float32))
        if block is not None:
            out.extend(self._process(block))
        return _ordered(out)

    def flush(self) -> list[PerceptionEvent]:
        """End of input: close what is open (a trailing partial 30 ms frame is dropped)."""
        out, self._queued = self._queued, []
        out.extend(self._close_segment(self._analyzer.frames - 1))
        return _ordered(out)

    # ------------------------------------------------------------------ enrolment

    def _add_voice(self, name: str, audio: np.ndarray, enrolled: bool) -> None:
        key = (hashlib.sha1(audio.tobytes()).hexdigest(), self.cfg.vad_aggressiveness)
        if key not in _ENROL_CACHE:
            # Same audio, same profile: cached so re-enrolling (tests, evaluation, a
            # restarted session) does not pay for the embedder again.
            block = analyse_audio(audio)
            vad = vad_flags(block.pcm, block.level_db, webrtcvad.Vad(key[1]))
            mask = speech_frames(block, vad)
            if mask.sum() < 20:
                raise ValueError(f"not enough speech to learn {name!r}'s voice "
                                 "(need ~1 s or more)")
            emb = self.embedder.embed(block.pcm[mask].ravel(), max_windows=12)
            if len(_ENROL_CACHE) > 64:
                _ENROL_CACHE.clear()
            _ENROL_CACHE[key] = (emb, block, mask)
        emb, block, mask = _ENROL_CACHE[key]
        self.bank.add(build_profile(name, emb, block, mask, enrolled))
        log.info("learnt voice %s from %.1f s of speech", name, frame_time(mask.sum()))

    # ------------------------------------------------------------------ per frame

    def _process(self, block: FrameBlock) -> list[PerceptionEvent]:
        out: list[PerceptionEvent] = []
        if self._muted:
            self._recent.clear()
            return out
        flags = vad_flags(block.pcm, block.level_db, self._vad)
        pitch = semitones(block.f0)
        for i in range(len(block)):
            fr = _Frame(block.first + i, block.pcm[i], float(block.level_db[i]),
                        float(block.f0[i]), float(block.aper[i]), float(block.tilt_db[i]),
                        block.mfcc[i], bool(flags[i]), float(block.h1h2_db[i]))
            self._recent.append(fr)
            for ev in self._seg.step(fr.idx, fr.vad):
                if ev.kind == "start":
                    out.extend(self._open_segment(ev.start, fr.idx))
                else:
                    out.extend(self._close_segment(fr.idx, ev.end))
            if self._seg.active:
                if not self._frames or self._frames[-1].idx != fr.idx:
                    self._frames.append(fr)
                    self._pending.append(fr)
                out.extend(self._in_segment(fr, float(pitch[i])))
            else:
                self._raised.tick_silence(fr.idx)
                out.extend(self._overlap.silence(fr.idx))
        return out

    def _open_segment(self, start: int, now: int) -> list[PerceptionEvent]:
        self._frames = [f for f in self._recent if f.idx >= start]
        self._pending = list(self._frames)
        self._speaker = self._single or self._guess_from_frames(self._frames)
        self._next_check = start + _WINDOW_FRAMES
        self._overlap.open(start, self._speaker)
        t = frame_time(now + 1)
        return [VoiceStart(t=t, start=frame_time(start), speaker=self._speaker)]

    def _in_segment(self, fr: _Frame, pitch_st: float) -> list[PerceptionEvent]:
        out: list[PerceptionEvent] = []
        now_t = frame_time(fr.idx + 1)
        if fr.idx + 1 >= self._next_check and len(self._frames) >= _WINDOW_FRAMES:
            # The latest whole window on the utterance's grid (reused at its end).
            p = (len(self._frames) - _WINDOW_FRAMES) // _WINDOW_FRAMES * _WINDOW_FRAMES
            recent = self._frames[p : p + _WINDOW_FRAMES]
            self._next_check = fr.idx + 1 + int(round(self.cfg.recheck_s / FRAME_S))
            fm = self._frame_verdict(recent)
            if fm is not None and fm == self._speaker:
                att = fm  # the cheap frame model is sure it is still the same voice
            else:
                att = self._attribute(recent, max_windows=1, accept=self.cfg.accept_running)
            if att != UNKNOWN and att != self._speaker:
                log.debug("segment speaker %s -> %s at %.2f", self._speaker, att, now_t)
                if self._speaker != UNKNOWN and self._overlap.idle:
                    # A turn the frame model missed (similar voices): split the utterance
                    # at the longest pause since the previous check.
                    out.extend(self._split(self._turn_at_pause(p, att), fr.idx))
                self._speaker = att
                self._overlap.set_floor(att)
        # Interruptions / overlap from the frame-level speaker evidence.
        lls = self.bank.frame_loglik(fr.mfcc[None, :]) if fr.vad else {}
        for ev in self._overlap.step(fr.idx, fr.vad, fr.level, fr.aper,
                                     {k: float(v[0]) for k, v in lls.items()}):
            out.append(_at_least(ev, now_t))
        for change in self._overlap.changes:
            out.extend(self._split(change, fr.idx))
        self._overlap.changes = []
        # Raised voice: frames wait until the segment's speaker has a baseline.
        prof = self.bank.get(self._speaker)
        if prof is not None and prof.baseline is not None:
            for p in self._pending:
                effort = None
                if p.vad and p.f0 > 0:
                    effort = float(frame_effort(self.cfg.raised, prof.baseline,
                                                np.array([p.level]),
                                                semitones(np.array([p.f0])),
                                                np.array([p.tilt]), np.array([p.h1h2]))[0])
                rv = self._raised.step(p.idx, self._speaker, effort)
                if rv is not None:
                    out.append(_at_least(rv, now_t))
            self._pending = []
        return out

    def _frame_verdict(self, frames: list[_Frame]) -> str | None:
        """The voice the frame model clearly prefers over these frames, if any. Used to
        skip a d-vector (the costly part: ~55 ms CPU per window) when it would only
        confirm what the frame model already says."""
        voiced = [f for f in frames if f.vad]
        if len(voiced) < 15 or len(self.bank.profiles) < 2:
            return None
        lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
        if len(lls) < 2:
            return None
        means = sorted(((float(np.mean(np.clip(v - np.max(list(lls.values()), axis=0), -8, 0))),
                         k) for k, v in lls.items()), reverse=True)
        if means[0][0] - means[1][0] >= self.cfg.frame_sure:
            return means[0][1]
        return None

    def _turn_at_pause(self, p: int, new: str) -> TurnChange:
        lo = max(0, p - int(round(self.cfg.recheck_s / FRAME_S)))
        best, run, best_end = 0, 0, p
        for i in range(lo, p + _WINDOW_FRAMES // 2):
            run = 0 if self._frames[i].vad else run + 1
            if run > best:
                best, best_end = run, i + 1
        onset = self._frames[min(best_end, len(self._frames) - 1)].idx
        return TurnChange(onset, new, self._speaker, onset - best, False)

    def _verify_change(self, onset: int, intruder: str, floor: str) -> bool | None:
        """Does the d-vector of the 0.84 s from ``onset`` support a new voice? False only
        when it is clearly still the floor holder alone; None until the window is heard."""
        window = [f for f in self._frames if onset <= f.idx < onset + _WINDOW_FRAMES]
        if len(window) < _WINDOW_FRAMES:
            return None
        a, b = self.bank.get(intruder), self.bank.get(floor)
        if a is None or b is None:
            return True
        if window[0].idx not in self._emb_cache:
            chunk = np.concatenate([f.pcm for f in window])
            self._emb_cache[window[0].idx] = self.embedder.embed_chunks([chunk])[0]
        emb = self._emb_cache[window[0].idx]
        return bool(emb @ a.embedding - emb @ b.embedding > -self.cfg.verify_margin)

    def _split(self, change: TurnChange, now: int) -> list[PerceptionEvent]:
        """The floor changed inside a segment: close the first voice's utterance and go on
        with the new voice's, so each Utterance has one speaker."""
        prev = [f for f in self._frames if f.idx < change.previous_end]
        voiced = [i for i, f in enumerate(prev) if f.vad]
        prev = prev[: voiced[-1] + 1] if voiced else []
        self._frames = [f for f in self._frames if f.idx >= change.onset]
        self._pending = []
        self._speaker = change.speaker
        self._next_check = change.onset + _WINDOW_FRAMES
        now_t = frame_time(now + 1)
        out: list[PerceptionEvent] = []
        if prev:
            speaker = self._attribute(prev, self.cfg.utterance_windows)
            out.append(Utterance(t=now_t, start=frame_time(prev[0].idx),
                                 end=frame_time(prev[-1].idx + 1), speaker=speaker,
                                 audio=np.concatenate([f.pcm for f in prev]).astype(np.float32)))
        out.append(VoiceStart(t=now_t, start=frame_time(change.onset), speaker=change.speaker))
        return out

    def _close_segment(self, now: int, end: int | None = None) -> list[PerceptionEvent]:
        seg_end = self._seg.close(now) if end is None else None
        if end is None:
            if seg_end is None:
                self._frames, self._pending = [], []
                return []
            end = seg_end.end
        frames = [f for f in self._frames if f.idx < end]
        self._frames, self._pending = [], []
        self._emb_cache = {}
        out: list[PerceptionEvent] = []
        now_t = frame_time(now + 1)
        for ev in self._overlap.close(now):
            out.append(_at_least(ev, now_t))
        if not frames:
            return out
        audio = np.concatenate([f.pcm for f in frames]).astype(np.float32)
        speaker = self._attribute(frames, self.cfg.utterance_windows, learn=True)
        start = frame_time(frames[0].idx)
        out.append(Utterance(t=now_t, start=start, end=frame_time(end), speaker=speaker,
                             audio=audio))
        return out

    # ------------------------------------------------------------------ attribution

    def _guess_from_frames(self, frames: list[_Frame]) -> str:
        """First guess at onset from the cheap frame model (UNKNOWN unless clear)."""
        voiced = [f for f in frames if f.vad]
        if len(voiced) < 3 or len(self.bank.profiles) < 2:
            return UNKNOWN
        lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
        if not lls:
            return UNKNOWN
        means = sorted(((float(v.mean()), k) for k, v in lls.items()), reverse=True)
        if means[0][0] - means[1][0] > 3.0:
            return means[0][1]
        return UNKNOWN

    def _embed_frames(self, frames: list[_Frame], max_windows: int) -> np.ndarray:
        """d-vector of a run of frames from windows on a fixed grid (28 frames from its
        first frame). Windows already embedded (the check at 0.8 s, re-checks in long
        utterances) are reused; new ones are added only up to ``max_windows`` in all."""
        grid = list(range(0, max(1, len(frames) - _WINDOW_FRAMES + 1), _WINDOW_FRAMES))
        have = [p for p in grid if frames[p].idx in self._emb_cache]
        todo = [p for p in grid if frames[p].idx not in self._emb_cache]
        need = max(0, max_windows - len(have))
        if len(todo) > need:
            pick = np.round(np.linspace(0, len(todo) - 1, need)).astype(int) if need else []
            todo = [todo[i] for i in pick]
        if todo:
            chunks = [np.concatenate([f.pcm for f in frames[p : p + _WINDOW_FRAMES]])
                      for p in todo]
            for p, e in zip(todo, self.embedder.embed_chunks(chunks), strict=True):
                self._emb_cache[frames[p].idx] = e
        keys = [frames[p].idx for p in have + todo]
        mean = np.mean([self._emb_cache[k] for k in keys], axis=0)
        return mean / (np.linalg.norm(mean) + 1e-12)

    def _attribute(self, frames: list[_Frame], max_windows: int, learn: bool = False,
                   accept: float | None = None) -> str:
        speech = [f for f in frames if f.vad] or frames
        if self._single is not None:
            return self._single
        if len(speech) < 10:
            return UNKNOWN  # too little to tell a voice (< 0.3 s)
        per_len = max(1, int(len(frames) * FRAME_S / 3.0 + 0.5))
        emb = self._embed_frames(frames, min(max_windows, per_len))
        f0 = np.array([f.f0 for f in speech if f.f0 > 0])
        pitch = float(np.median(semitones(f0))) if len(f0) >= 5 else None
        llr = None
        voiced = [f for f in speech if f.level > -90]
        if len(voiced) >= 20 and len(self.bank.profiles) >= 2:
            lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
            llr = {k: float(np.mean(np.clip(v - np.max(list(lls.values()), axis=0), -8, 0)))
                   for k, v in lls.items()}
        att = self.bank.attribute(emb, pitch, accept, llr)
        if not learn or self.bank.enrolled or not self.cfg.auto_speakers:
            return att.speaker
        # Auto mode: an unmistakably new voice becomes speakerN, calibrated on this
        # (first, hopefully calm) utterance; a known one sharpens its centroid.
        if att.speaker != UNKNOWN:
            prof = self.bank.get(att.speaker)
            if prof is not None and frame_time(len(speech)) >= 1.0:
                prof.absorb(emb)
            return att.speaker
        if frame_time(len(speech)) < 1.0:
            return UNKNOWN
        if att.sims and max(att.sims.values()) >= self.bank.new_voice:
            return UNKNOWN
        if len(self.bank.profiles) >= self.bank.max_auto:
            return UNKNOWN
        self._n_auto += 1
        name = f"speaker{self._n_auto}"
        block = _frames_block(speech)
        mask = speech_frames(block)
        self.bank.add(build_profile(name, emb, block, mask, enrolled=False))
        log.info("new voice %s at %.2f s", name, frame_time(speech[0].idx))
        return name


def _frames_block(frames: list[_Frame]) -> FrameBlock:
    return FrameBlock(
        frames[0].idx,
        np.stack([f.pcm for f in frames]),
        np.array([f.level for f in frames]),
        np.array([f.f0 for f in frames]),
        np.array([f.aper for f in frames]),
        np.array([f.tilt for f in frames]),
        np.stack([f.mfcc for f in frames]),
        np.array([f.h1h2 for f in frames]),
    )


def _at_least(ev: RaisedVoice | Interruption | Overlap, t: float
              ) -> RaisedVoice | Interruption | Overlap:
    """Decision time is when we decided, never earlier than the frame now processed."""
    return dataclasses.replace(ev, t=max(ev.t, t))


def _ordered(events: list[PerceptionEvent]) -> list[PerceptionEvent]:
    return sorted(events, key=lambda e: e.t)  # stable: same-time events keep their order
