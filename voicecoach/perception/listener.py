"""The listening pipeline: audio in (any chunk size), perception events out, on media time.

Per 30 ms frame: features (level, YIN pitch, tilt, cepstrum) -> webrtcvad -> segmenter.
Within a speech segment the speaker is first guessed from the frame model, then named from
a d-vector of the first 0.8 s, re-checked every few seconds, and settled on the whole
utterance at its end (one d-vector window per 3 s; an utterance that stays UNKNOWN on
those is heard again on all its windows, and named only if both models then agree).
Frames attributed to a known voice feed the raised-voice detector against that voice's
baseline; all speech frames feed the interruption/overlap detector.
When a segment closes it is settled: a change of voice the live detectors missed (a quick
handover inside the hangover, a cut-in between similar voices) splits it where the frame
model's evidence changes side, kept only if the d-vector names the pieces differently;
a piece too short to name confidently is UNKNOWN, never forced.
A baseline learnt from a short enrolment is uncertain, so the raised-voice threshold is
raised in proportion (`raised.baseline_margin`) until calm utterances attributed to that
voice outside an episode have firmed it up (`Baseline.adapt`). Enrolling a partner
forgets auto-discovered voices: with named partners, an unfamiliar voice is UNKNOWN.
Language cues (`set_readiness`) lower the raised-voice threshold moderately.
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
from voicecoach.perception.raised import (
    RaisedConfig,
    RaisedVoiceDetector,
    baseline_margin,
    frame_effort,
)
from voicecoach.perception.speakers import (
    Attribution,
    Baseline,
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
from voicecoach.perception.vad import AGGRESSIVENESS, QuietTail, Segmenter, vad_flags
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
    doubt_windows: int = 6  # ... raised to every back-to-back window, up to this many,
    # when those leave the utterance UNKNOWN: compute goes where it is needed
    raised: RaisedConfig = field(default_factory=RaisedConfig)
    overlap: OverlapConfig = field(default_factory=OverlapConfig)
    accept: float = 0.5  # cosine to name a voice on an utterance
    accept_running: float = 0.4  # ... to follow who speaks mid-utterance (raised voices
    # drift away from the calm enrolment; the utterance's own label stays strict)
    margin: float = 0.08  # over the runner-up
    new_voice: float = 0.45  # below this to all known voices: a new speaker (auto mode)
    frame_sure: float = 2.5  # nats/frame: frame model sure enough to skip a re-check
    verify_margin: float = 0.0  # d-vector may lean this much to the floor holder and
    # still confirm a suspected change (in an overlap both voices are in the window)
    verify_late: int = 21  # frames (0.63 s): when the window right after the onset leans
    # to the floor holder, a second window from this far after the onset is judged: a
    # cut-in overlaps 0.5-1 s, and while both talk the floor holder's voice dominates the
    # first window (4 dialogue sets: 24 of 64 true cut-ins rejected by the first window)
    verify_late_min: float = 0.04  # ... which must lean this much to the intruder (in a
    # room the window past the overlap still holds the floor holder's echo and both
    # enrolments share the room: true cut-ins' second windows leaned only 0.05-0.08.
    # Simulated living room, 4 sets: 0.1 -> 0.04 recall 69.4 -> 72.2 %, precision 78.1 ->
    # 78.8 %; dry 4 sets identical; the second look only reports, attribution unchanged)
    verify_late_floor: float = 0.4  # ... asked only if the first leaned less than this
    # (to the floor holder: a window that is hers beyond doubt is not a cut-in's. 0.2
    # skipped cut-ins whose first window leaned -0.26..-0.33; over 4 dialogue sets 0.35
    # to 0.6 give the same: recall 85.2 -> 87.0 %, precision 95.8 -> 95.9 %)
    auto_speakers: bool = True  # label unenrolled voices speaker1, speaker2, ...
    adapt_min_s: float = 0.6  # voiced seconds an utterance needs to refine a baseline
    adapt_below: float = 0.2  # ... and a mean effort (less the baseline's uncertainty
    # margin, as the raised detector sees it) below this: clearly calm
    settle_min: int = 15  # voiced frames (0.45 s) each side of a change found at close
    settle_lean: float = 0.5  # nats/frame each side must lean to its own voice
    settle_stat: float = 8.0  # CUSUM statistic (nats * sqrt(frames)) for a change
    settle_clear: float = 2.0  # nats/frame: a piece the d-vector cannot name is still
    # split off when the frame model gives it this clearly to the other voice
    stranger_far: float = 0.4  # cosine: a d-vector window this far from every known
    # voice is nobody's (partners' own windows rarely fall this low; strangers' often do)
    stranger_doubt: float = 0.45  # cosine: a piece with a heard window this far from
    # every known voice is heard on all its windows (the compute goes to doubtful pieces).
    # 4 sets: 0.4 -> 0.45 named strangers 43.5 -> 40.8 % at +4 % compute, couple
    # unchanged; 0.5: 39.0 % at +14 %, couple -0.1 (FF 98.0)
    stranger_windows: int = 12  # ... up to this many
    stranger_run: float = 0.45  # cosine: there, neighbouring windows both below this to
    # every known voice are nobody's too (a stranger's turn runs several windows below a
    # partner's usual cosine; a partner's odd weak window stands alone). 4 sets: 0.5
    # named strangers 40.6 % (0.45: 43.5) but cost the couple 0.2 points (MM -0.5)
    piece_lead: float | None = 0.0  # cosine: where the frame model vouches for a d-vector
    # below `accept`, that voice must lead the others by this much (None: no such rule);
    # 0 = the frame model may not name a weak voice the d-vector ranks second (strangers
    # named 58.4 -> 54.7 % over 4 sets, couple 97.7 -> 97.5 %; a stricter 0.04 on whole
    # utterances only gained 0.1 more and cost the couple 0.2)


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
        self._tail = QuietTail()
        self._seg = Segmenter(
            hangover=int(round(self.cfg.hangover_s / FRAME_S)),
            soft_max=int(round(0.8 * self.cfg.max_utterance_s / FRAME_S)),
            hard_max=int(round(self.cfg.max_utterance_s / FRAME_S)),
        )
        self.bank = SpeakerBank(
            self.cfg.accept, self.cfg.margin, self.cfg.new_voice, auto=self.cfg.auto_speakers
        )
        self.embedder = Embedder()
        self._raised = RaisedVoiceDetector(self.cfg.raised)
        self._overlap = OverlapDetector(
            self.cfg.overlap, verify=self._verify_change, verify_late=self._verify_late
        )
        self._recent: deque[_Frame] = deque(maxlen=8)
        self._known: deque[bool] = deque(maxlen=20)  # recent speech frames: a known voice's?
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
        """Learn a partner's voice and calm baseline from a sentence or two.

        Voices discovered before (speakerN, e.g. from this very enrolment answer heard
        before the session knew whose it was) are forgotten: with named partners an
        unfamiliar voice is UNKNOWN, never a new speakerN, and a leftover auto profile of
        the same person would only steal or split that partner's speech (and the
        interruption detector would see the partner "interrupt" their own echo profile)."""
        self._add_voice(name, np.asarray(audio, dtype=np.float32), enrolled=True)
        stale = [p.name for p in self.bank.profiles if not p.enrolled and p.name != self._single]
        if stale:
            log.info("forgetting auto voices %s: partners are enrolled", ", ".join(stale))
            self.bank.profiles = [p for p in self.bank.profiles if p.name not in stale]
            if self._speaker in stale:
                self._speaker = UNKNOWN

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

    def set_readiness(self, readiness: float) -> None:
        """How primed the talk is (0..1, from criticism/contempt in the transcripts):
        lowers the raised-voice threshold moderately; it never alarms by itself. Takes
        effect from the next frame analysed (media time, like everything else)."""
        self._raised.set_readiness(readiness)

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
                raise ValueError(f"not enough speech to learn {name!r}'s voice (need ~1 s or more)")
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
        # The segment keeps a quiet tail in noise; the frame evidence stays webrtcvad's.
        held = self._tail.extend(block.level_db, flags)
        pitch = semitones(block.f0)
        for i in range(len(block)):
            fr = _Frame(
                block.first + i,
                block.pcm[i],
                float(block.level_db[i]),
                float(block.f0[i]),
                float(block.aper[i]),
                float(block.tilt_db[i]),
                block.mfcc[i],
                bool(flags[i]),
                float(block.h1h2_db[i]),
            )
            self._recent.append(fr)
            for ev in self._seg.step(fr.idx, fr.vad, bool(held[i])):
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
        if lls:
            # Speech unlike every known voice (a stranger, a television) has no say in
            # which partner holds the floor: its few partner-like frames would swing it.
            self._known.append(bool(self.bank.known_frames(lls)[0]))
            if not self._known[-1] or sum(self._known) < 0.5 * len(self._known):
                lls = {}
        for ev in self._overlap.step(
            fr.idx, fr.vad, fr.level, fr.aper, {k: float(v[0]) for k, v in lls.items()}
        ):
            out.append(_at_least(ev, now_t))
        for change in self._overlap.changes:
            out.extend(self._split(change, fr.idx))
        self._overlap.changes = []
        # Raised voice: frames wait until the segment's speaker has a baseline.
        prof = self.bank.get(self._speaker)
        if prof is not None and prof.baseline is not None:
            margin = baseline_margin(self.cfg.raised, prof.baseline)
            for p in self._pending:
                effort = None
                if p.vad and p.f0 > 0:
                    effort = float(
                        frame_effort(
                            self.cfg.raised,
                            prof.baseline,
                            np.array([p.level]),
                            semitones(np.array([p.f0])),
                            np.array([p.tilt]),
                            np.array([p.h1h2]),
                        )[0]
                    )
                rv = self._raised.step(p.idx, self._speaker, effort, margin)
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
        means = sorted(((v, k) for k, v in _relative_ll(lls).items()), reverse=True)
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
        when it leans to the floor holder; None until the window is heard."""
        lean = self._window_lean(onset, self._axis(intruder, floor))
        return None if lean is None else lean > -self.cfg.verify_margin

    def _verify_late(self, onset: int, intruder: str, floor: str) -> bool | None:
        """The second look (`verify_late`): does the window past the overlap lean to the
        intruder? None until it is heard."""
        axis = self._axis(intruder, floor)
        first = self._window_lean(onset, axis)
        if first is not None and first <= -self.cfg.verify_late_floor:
            return False
        lean = self._window_lean(onset + self.cfg.verify_late, axis)
        return None if lean is None else lean > self.cfg.verify_late_min

    def _axis(self, intruder: str, floor: str) -> np.ndarray | None:
        a, b = self.bank.get(intruder), self.bank.get(floor)
        return None if a is None or b is None else a.embedding - b.embedding

    def _window_lean(self, start: int, axis: np.ndarray | None) -> float | None:
        """Cosine to the intruder less cosine to the floor holder (``axis``: the
        difference of their d-vectors) of the window from frame ``start``; +inf when a
        voice has no profile, None until the window is heard."""
        window = [f for f in self._frames if start <= f.idx < start + _WINDOW_FRAMES]
        if len(window) < _WINDOW_FRAMES:
            return None
        if axis is None:
            return float("inf")
        if window[0].idx not in self._emb_cache:
            chunk = np.concatenate([f.pcm for f in window])
            self._emb_cache[window[0].idx] = self.embedder.embed_chunks([chunk])[0]
        emb = self._emb_cache[window[0].idx]
        return float(emb @ axis)

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
            # Named from where that voice was heard alone: after a cut-in the piece
            # runs into the overlap, where the other voice would blur its d-vector.
            alone = [f for f in prev if f.idx < change.onset]
            basis = alone if sum(f.vad for f in alone) >= 20 else prev
            speaker = self._attribute(basis, self.cfg.utterance_windows)
            # A third voice may hide in it as in a piece found at close (`_third_voice`).
            out.extend(_utterances(self._third_voice(prev, speaker), prev[-1].idx + 1, now_t))
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
        out: list[PerceptionEvent] = []
        now_t = frame_time(now + 1)
        for ev in self._overlap.close(now):
            out.append(_at_least(ev, now_t))
        if not frames:
            self._emb_cache = {}
            return out
        # The windows embedded while the segment was open are reused by the final
        # attribution (same grid), so the cache is dropped only afterwards.
        pieces = self._settle(frames)
        if pieces is None:
            pieces = [(frames, self._attribute(frames, self.cfg.utterance_windows, learn=True))]
        pieces = [q for piece, name in pieces for q in self._third_voice(piece, name)]
        self._emb_cache = {}
        for piece, speaker in pieces:
            self._adapt_baseline(speaker, piece)
        out.extend(_utterances(pieces, end, now_t))
        return out

    def _adapt_baseline(self, speaker: str, frames: list[_Frame]) -> None:
        """Calm speech clearly attributed to a voice, outside a raised episode, refines
        that voice's baseline (slowly; see `Baseline.adapt`): a short enrolment's
        uncertainty margin shrinks as the partner keeps talking calmly."""
        prof = self.bank.get(speaker)
        cfg = self.cfg.raised
        if (
            prof is None
            or prof.baseline is None
            or self._raised.in_episode(speaker)
            or len(frames) < 20
        ):
            return
        block = _frames_block(frames)
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

    def _settle(self, frames: list[_Frame]) -> list[tuple[list[_Frame], str]] | None:
        """A closed segment may still hold two voices (a quick handover inside the VAD's
        hangover, or a cut-in the live detector missed). Split it where the frame model's
        evidence changes side (binary segmentation of the clipped log-likelihood ratio of
        the two voices it supports most), and keep a split only if the d-vector names the
        pieces differently, or names one and the frame model clearly disowns it for the
        other. None: one voice (or nobody to tell apart) -> attribute the whole."""
        cfg = self.cfg
        if self._single is not None or len(self.bank.profiles) < 2:
            return None
        voiced = [f for f in frames if f.vad]
        if len(voiced) < 2 * cfg.settle_min:
            return None
        lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
        if len(lls) < 2:
            return None
        rel = _relative_ll(lls)
        top = sorted(rel, key=lambda k: -rel[k])[:2]
        d = np.clip(lls[top[1]] - lls[top[0]], -8.0, 8.0)
        cuts = sorted(self._cuts(d, 0, len(d), depth=3))
        if not cuts:
            return None
        bounds = [0, *cuts, len(d)]
        # Frame-index boundaries: a piece starts at its first voiced frame.
        starts = [frames.index(voiced[b]) for b in bounds[:-1]]
        pieces = [frames[a:b] for a, b in zip(starts, [*starts[1:], len(frames)], strict=True)]
        means = [float(np.mean(d[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        # A piece shorter than one d-vector window is mostly padding to the embedder: its
        # "name" is noise, so it counts as UNKNOWN here (kept apart only where the frame
        # model clearly gives it to the other voice).
        named = [
            self._attribute(p, cfg.utterance_windows) if len(p) >= _WINDOW_FRAMES else UNKNOWN
            for p in pieces
        ]
        # Merge neighbours that are the same voice; an UNKNOWN piece is kept apart only
        # where the frame model clearly gives it to the other voice than its neighbour.
        out: list[tuple[list[_Frame], str, float]] = []
        for piece, name, m in zip(pieces, named, means, strict=True):
            if out:
                prev_piece, prev_name, prev_m = out[-1]
                same = name == prev_name and name != UNKNOWN
                weak = UNKNOWN in (name, prev_name) and (
                    abs(m) < cfg.settle_clear
                    or abs(prev_m) < cfg.settle_clear
                    or np.sign(m) == np.sign(prev_m)
                )
                if same or weak:
                    merged = prev_piece + piece
                    out[-1] = (
                        merged,
                        prev_name if name == UNKNOWN else name,
                        (prev_m * len(prev_piece) + m * len(piece)) / len(merged),
                    )
                    continue
            out.append((piece, name, m))
        if len(out) < 2:
            return None
        log.debug(
            "segment %.2f-%.2f settled as %s",
            frame_time(frames[0].idx),
            frame_time(frames[-1].idx + 1),
            ", ".join(f"{n}@{frame_time(p[0].idx):.2f}" for p, n, _ in out),
        )
        # A merged piece was named from part of it: name it again, whole.
        return [(p, self._attribute(p, cfg.utterance_windows)) for p, _, _ in out]

    def _cuts(self, d: np.ndarray, lo: int, hi: int, depth: int) -> list[int]:
        """Change points of ``d[lo:hi]`` (voiced-frame positions), recursively: the split
        maximising the CUSUM statistic, kept when both sides hold enough speech and lean
        to opposite voices."""
        cfg = self.cfg
        n = hi - lo
        if depth == 0 or n < 2 * cfg.settle_min:
            return []
        x = d[lo:hi]
        k = np.arange(cfg.settle_min, n - cfg.settle_min + 1)
        c = np.cumsum(x)
        left = c[k - 1] / k
        right = (c[-1] - c[k - 1]) / (n - k)
        stat = np.abs(left - right) * np.sqrt(k * (n - k) / n)
        j = int(np.argmax(stat))
        a, b = float(left[j]), float(right[j])
        if not (
            a * b < 0 and min(abs(a), abs(b)) >= cfg.settle_lean and stat[j] >= cfg.settle_stat
        ):
            return []
        cut = lo + int(k[j])
        return self._cuts(d, lo, cut, depth - 1) + [cut] + self._cuts(d, cut, hi, depth - 1)

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

    def _third_voice(self, piece: list[_Frame], name: str) -> list[tuple[list[_Frame], str]]:
        """A piece named for a partner may still hold a third voice: a stranger's turn in
        the same VAD segment (overlap, or inside the hangover) is not split off by the
        partners' frame models, and inherits the partner's name. Where a window already
        heard in the piece is far from every known voice, every window of the piece is
        heard (compute only on such doubtful pieces) and each run of far windows becomes
        UNKNOWN at window resolution; the rest keeps its name."""
        cfg = self.cfg
        if (
            name == UNKNOWN
            or self._single is not None
            or not self.bank.enrolled
            or len(self.bank.profiles) < 2
        ):
            return [(piece, name)]
        grid = _grid(piece)
        first, last = piece[0].idx, piece[-1].idx - _WINDOW_FRAMES + 1
        heard = [e for k, e in self._emb_cache.items() if first <= k <= last]
        if len(grid) < 2 or not any(self._far(e, cfg.stranger_doubt) for e in heard):
            return [(piece, name)]
        self._embed_frames(piece, min(cfg.stranger_windows, len(grid)))
        have = self._embedded(piece)
        embs = [self._emb_cache[piece[p].idx] for p in have]
        far = _far_runs(
            [self._far(e, cfg.stranger_far) for e in embs],
            [self._far(e, cfg.stranger_run) for e in embs],
        )
        if all(far):
            return [(piece, UNKNOWN)]
        # Window k owns the frames from its start to the next heard window's start; the
        # first owns the piece's start, the last its tail.
        cuts = [0, *have[1:], len(piece)]
        out: list[tuple[list[_Frame], str]] = []
        for k, f in enumerate(far):
            label = UNKNOWN if f else name
            part = piece[cuts[k] : cuts[k + 1]]
            if out and out[-1][1] == label:
                out[-1] = (out[-1][0] + part, label)
            else:
                out.append((part, label))
        if len(out) > 1:
            log.debug(
                "third voice in %s's piece at %s",
                name,
                ", ".join(f"{frame_time(p[0].idx):.2f}" for p, n in out if n == UNKNOWN),
            )
        return out

    def _far(self, emb: np.ndarray, cosine: float) -> bool:
        """A d-vector window below ``cosine`` to every known voice."""
        return max(float(emb @ p.embedding) for p in self.bank.profiles) < cosine

    def _embedded(self, frames: list[_Frame]) -> list[int]:
        """Grid positions of this run's windows already embedded."""
        return [p for p in _grid(frames) if frames[p].idx in self._emb_cache]

    def _embed_frames(self, frames: list[_Frame], max_windows: int) -> np.ndarray:
        """d-vector of a run of frames from windows on a fixed grid (28 frames from its
        first frame). Windows already embedded (the check at 0.8 s, re-checks in long
        utterances) are reused; new ones are added only up to ``max_windows`` in all."""
        have = self._embedded(frames)
        todo = [p for p in _grid(frames) if p not in have]
        need = max(0, max_windows - len(have))
        if len(todo) > need:
            pick = np.round(np.linspace(0, len(todo) - 1, need)).astype(int) if need else []
            todo = [todo[i] for i in pick]
        if todo:
            chunks = [np.concatenate([f.pcm for f in frames[p : p + _WINDOW_FRAMES]]) for p in todo]
            for p, e in zip(todo, self.embedder.embed_chunks(chunks), strict=True):
                self._emb_cache[frames[p].idx] = e
        keys = [frames[p].idx for p in have + todo]
        mean = np.mean([self._emb_cache[k] for k in keys], axis=0)
        return mean / (np.linalg.norm(mean) + 1e-12)

    def _attribute(
        self,
        frames: list[_Frame],
        max_windows: int,
        learn: bool = False,
        accept: float | None = None,
    ) -> str:
        speech = [f for f in frames if f.vad] or frames
        if self._single is not None:
            return self._single
        if len(speech) < 10:
            return UNKNOWN  # too little to tell a voice (< 0.3 s)
        lead = self.cfg.piece_lead
        emb = self._embed_frames(frames, _windows_for(frames, max_windows, 3.0))
        f0 = np.array([f.f0 for f in speech if f.f0 > 0])
        pitch = float(np.median(semitones(f0))) if len(f0) >= 5 else None
        llr = None
        voiced = [f for f in speech if f.level > -90]
        if len(voiced) >= 20 and len(self.bank.profiles) >= 2:
            lls = self.bank.frame_loglik(np.stack([f.mfcc for f in voiced]))
            llr = _relative_ll(lls)
        att = self.bank.attribute(emb, pitch, accept, llr, lead)
        if att.speaker == UNKNOWN and max_windows > 1 and llr is not None:
            # One 0.84 s window per 3 s is a thin basis for similar voices: before giving
            # up on a whole utterance, hear more of it (the windows it has are reused).
            # Without the frame model's say (one voice known, few frames) a second
            # hearing could name nobody (`_agreed`): it is not paid for.
            more = min(self.cfg.doubt_windows, len(_grid(frames)))
            if more > len(self._embedded(frames)):
                emb = self._embed_frames(frames, more)
                att = _agreed(
                    self.bank.attribute(emb, pitch, accept, llr, lead),
                    llr,
                    self.bank.accept if accept is None else accept,
                )
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


def _agreed(att: Attribution, llr: dict[str, float] | None, accept: float) -> Attribution:
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


def _relative_ll(lls: dict[str, np.ndarray]) -> dict[str, float]:
    """Per voice, the mean over frames of its log-likelihood less the best voice's in
    that frame, clipped at -8 nats (0: it wins every frame; one frame has a bounded say).
    Speech mostly unlike every known voice (`SpeakerBank.known_frames`: a stranger) gets
    no verdict at all: its few partner-like frames would name the nearer partner."""
    if SpeakerBank.known_frames(lls).mean() < 0.5:
        return dict.fromkeys(lls, 0.0)
    best = np.max(list(lls.values()), axis=0)
    return {k: float(np.mean(np.clip(v - best, -8, 0))) for k, v in lls.items()}


def _utterances(pieces: list[tuple[list[_Frame], str]], end: int, t: float) -> list[Utterance]:
    """One utterance per named piece, decided at ``t``. Pieces are contiguous: each
    ends where the next begins (no unlabelled gap), the last at frame ``end``."""
    out = []
    for k, (piece, speaker) in enumerate(pieces):
        stop = pieces[k + 1][0][0].idx if k + 1 < len(pieces) else end
        out.append(
            Utterance(
                t=t,
                start=frame_time(piece[0].idx),
                end=frame_time(stop),
                speaker=speaker,
                audio=np.concatenate([f.pcm for f in piece]).astype(np.float32),
            )
        )
    return out


def _far_runs(far: list[bool], weak: list[bool]) -> list[bool]:
    """Windows that are nobody's: each ``far`` one, and each ``weak`` one beside
    another weak one."""
    n = len(far)
    return [
        far[k] or (weak[k] and ((k > 0 and weak[k - 1]) or (k + 1 < n and weak[k + 1])))
        for k in range(n)
    ]


def _grid(frames: list[_Frame]) -> list[int]:
    """Positions of the d-vector windows of a run of frames: back to back from its start."""
    return list(range(0, max(1, len(frames) - _WINDOW_FRAMES + 1), _WINDOW_FRAMES))


def _windows_for(frames: list[_Frame], cap: int, per_s: float) -> int:
    """Windows to embed for a run of frames: one per started ``per_s`` seconds (rounded),
    at least one, at most ``cap``."""
    return min(cap, max(1, int(len(frames) * FRAME_S / per_s + 0.5)))


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


def _at_least(
    ev: RaisedVoice | Interruption | Overlap, t: float
) -> RaisedVoice | Interruption | Overlap:
    """Decision time is when we decided, never earlier than the frame now processed."""
    return dataclasses.replace(ev, t=max(ev.t, t))


def _ordered(events: list[PerceptionEvent]) -> list[PerceptionEvent]:
    return sorted(events, key=lambda e: e.t)  # stable: same-time events keep their order
