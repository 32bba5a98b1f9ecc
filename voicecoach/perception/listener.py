"""The listening pipeline: audio in (any chunk size), perception events out, on media time.

The stages (voicecoach/perception/stages/), each with one job and its own settings:

    segment   audio -> analysed 30 ms frames and speech segments (VAD, hangover)
    embed     d-vectors of the open segment's windows, each computed once
    attribute who said a run of frames (d-vector + frame model), UNKNOWN if unsure
    settle    a closed segment holding two voices is split and each piece named
    strangers a third voice inside a partner's piece becomes UNKNOWN
    turns     interruptions and overlap (frame model, checked on the d-vector)
    heat      raised voices against each speaker's own calm baseline
    enrol     a voice profile from calm speech (with an explicit `EnrolmentCache`)

This module wires them over the open segment: the speaker is first guessed at onset
from the frame model, named from a d-vector of the first 0.8 s, re-checked every few
seconds, and settled on the whole utterance at its end. Frames attributed to a known
voice feed the heat stage against that voice's baseline; all speech frames feed the
turns stage, whose changes of the floor split the utterance. Enrolling a partner
forgets auto-discovered voices: with named partners, an unfamiliar voice is UNKNOWN.
Language cues (`set_readiness`) lower the raised-voice threshold moderately.
Every decision depends only on the samples, so replaying a file gives the live events;
`analyze` runs this same class over a file.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

import numpy as np

from voicecoach.perception.embedder import Embedder
from voicecoach.perception.features import frame_time
from voicecoach.perception.overlap import TurnChange
from voicecoach.perception.speakers import SpeakerBank, VoiceProfile
from voicecoach.perception.stages.attribute import AttributeSettings, Attributor
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.enrol import EnrolmentCache, EnrolSettings, learn_voice
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame
from voicecoach.perception.stages.heat import Heat, HeatSettings
from voicecoach.perception.stages.segment import Heard, Segmentation, SegmentSettings
from voicecoach.perception.stages.settle import Piece, Settler, SettleSettings
from voicecoach.perception.stages.strangers import Strangers, StrangerSettings
from voicecoach.perception.stages.turns import Turns, TurnSettings
from voicecoach.perception.types import UNKNOWN, Pause, PerceptionEvent, Utterance, VoiceStart
from voicecoach.timebase import frame_count, seconds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenerConfig:
    """Each stage's settings (see the stage's module for what each means)."""

    segment: SegmentSettings = field(default_factory=SegmentSettings)
    attribute: AttributeSettings = field(default_factory=AttributeSettings)
    settle: SettleSettings = field(default_factory=SettleSettings)
    strangers: StrangerSettings = field(default_factory=StrangerSettings)
    turns: TurnSettings = field(default_factory=TurnSettings)
    heat: HeatSettings = field(default_factory=HeatSettings)
    enrol: EnrolSettings = field(default_factory=EnrolSettings)


class Listener:
    def __init__(
        self,
        config: ListenerConfig | None = None,
        *,
        enrolments: EnrolmentCache | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        """``enrolments``: what earlier enrolments learnt, shared with other listeners
        that may enrol the same audio (an evaluation, a restarted session)."""
        self.cfg = cfg = config or ListenerConfig()
        self.enrolments = enrolments or EnrolmentCache(cfg.enrol.cache_entries)
        a = cfg.attribute
        self.bank = SpeakerBank(a.accept, a.margin, a.new_voice, auto=a.auto_speakers)
        self.segments = Segmentation(cfg.segment)
        self.windows = WindowEmbeddings(embedder)
        self.attributor = Attributor(self.bank, self.windows, a)
        self.settler = Settler(self.bank, self.attributor, cfg.settle)
        self.strangers = Strangers(self.bank, self.windows, self.attributor, cfg.strangers)
        self.turns = Turns(self.bank, self.windows, lambda: self._frames, cfg.turns)
        self.heat = Heat(self.bank, cfg.heat)
        self._frames: list[Frame] = []  # frames of the open segment
        self._speaker = UNKNOWN  # current speaker of the open segment
        self._next_check = 0  # frame index at which to (re)embed
        self._queued: list[PerceptionEvent] = []
        self._fed = 0  # samples fed so far

    # ------------------------------------------------------------------ public API

    @property
    def t(self) -> float:
        """Media time consumed so far (s): every sample fed counts, including the tail of
        a partial 30 ms frame that decisions will see with the next chunk."""
        return seconds(self._fed)

    @property
    def embedder(self) -> Embedder:
        return self.windows.embedder

    @embedder.setter
    def embedder(self, embedder: Embedder) -> None:
        self.windows.embedder = embedder

    def enroll(self, name: str, audio: np.ndarray) -> None:
        """Learn a partner's voice and calm baseline from a sentence or two.

        Voices discovered before (speakerN, e.g. from this very enrolment answer heard
        before the session knew whose it was) are forgotten: with named partners an
        unfamiliar voice is UNKNOWN, never a new speakerN, and a leftover auto profile of
        the same person would only steal or split that partner's speech (and the
        interruption detector would see the partner "interrupt" their own echo profile)."""
        self.bank.add(self._learn(name, audio, enrolled=True))
        single = self.attributor.single
        stale = [p.name for p in self.bank.profiles if not p.enrolled and p.name != single]
        if stale:
            log.info("forgetting auto voices %s: partners are enrolled", ", ".join(stale))
            self.bank.profiles = [p for p in self.bank.profiles if p.name not in stale]
            if self._speaker in stale:
                self._speaker = UNKNOWN

    def add_voice(self, profile: VoiceProfile) -> None:
        """A partner's voice learnt before (a saved profile): known from the first frame,
        exactly as if enrolled now. The listener keeps its own copy (it adapts it)."""
        voice = copy.deepcopy(profile)
        voice.enrolled = True
        self.bank.add(voice)

    def calibrate(self, audio: np.ndarray, single: bool = False) -> str:
        """Learn an unnamed voice (auto label) from calm speech; returns its label.

        ``single``: only this one voice is expected (a solo recording): all speech is
        attributed to it, however far a raised voice drifts from the calm d-vector."""
        name = self.attributor.auto_name()
        self.bank.add(self._learn(name, audio, enrolled=False))
        if single:
            self.attributor.single = name
        return name

    def baseline(self, name: str) -> tuple[float, float] | None:
        """``name``'s calm level (dBFS) and pitch (Hz) as known now, or None."""
        prof = self.bank.get(name)
        if prof is None or prof.baseline is None:
            return None
        return prof.baseline.level_db, 100.0 * 2.0 ** (prof.baseline.pitch_st / 12.0)

    def set_readiness(self, readiness: float) -> None:
        """How primed the talk is (0..1, from criticism/contempt in the transcripts):
        lowers the raised-voice threshold moderately; it never alarms by itself. Takes
        effect from the next frame analysed (media time, like everything else)."""
        self.heat.set_readiness(readiness)

    def set_hangover(self, seconds: float | None) -> None:
        """Silence that ends an utterance from the next frame on; None: the configured one.

        The session shortens it while the coach waits for an answer, so a finished
        answer reaches the dialogue sooner; monitoring keeps the longer default, which
        keeps a speaker's pauses inside one utterance."""
        self.segments.set_hangover(seconds)

    def pause(self) -> Pause | None:
        """The open utterance so far while its speaker is silent (None while they talk,
        or with no utterance open): what an Utterance would hold if it closed now,
        decided on the frames fed so far (media time)."""
        state = self.segments.open_pause()
        if state is None or not self._frames:
            return None
        silent, last_voiced, last_kept = state
        frames = [f for f in self._frames if f.idx <= last_kept]
        if not frames:
            return None
        return Pause(
            start=frame_time(frames[0].idx),
            end=frame_time(last_kept + 1),
            voiced_end=frame_time(last_voiced + 1),
            silent_s=frame_time(silent),
            speaker=self._speaker,
            audio=np.concatenate([f.pcm for f in frames]).astype(np.float32),
        )

    def mute(self, muted: bool) -> None:
        """While the coach speaks: close what is open, then ignore the audio."""
        if muted and not self.segments.muted:
            self._queued.extend(self._close_segment(self.segments.frames_analysed - 1))
        self.segments.muted = muted

    def feed(self, samples: np.ndarray) -> list[PerceptionEvent]:
        """Analyse a chunk (16 kHz mono float32, any length); events in decision order."""
        self._fed += int(np.asarray(samples).size)
        out, self._queued = self._queued, []
        for heard in self.segments.push(samples):
            out.extend(self._hear(heard))
        return _ordered(out)

    def flush(self) -> list[PerceptionEvent]:
        """End of input: close what is open (a trailing partial 30 ms frame is dropped)."""
        out, self._queued = self._queued, []
        out.extend(self._close_segment(self.segments.frames_analysed - 1))
        return _ordered(out)

    # ------------------------------------------------------------------ per frame

    def _learn(self, name: str, audio: np.ndarray, enrolled: bool) -> VoiceProfile:
        return learn_voice(
            name,
            np.asarray(audio, dtype=np.float32),
            enrolled=enrolled,
            vad_aggressiveness=self.cfg.segment.vad_aggressiveness,
            embedder=self.embedder,
            cache=self.enrolments,
            settings=self.cfg.enrol,
        )

    def _hear(self, heard: Heard) -> list[PerceptionEvent]:
        fr = heard.frame
        out: list[PerceptionEvent] = []
        for ev in heard.boundaries:
            if ev.kind == "start":
                out.extend(self._open_segment(ev.start, list(heard.onset), fr.idx))
            else:
                out.extend(self._close_segment(fr.idx, ev.end))
        if heard.in_segment:
            if not self._frames or self._frames[-1].idx != fr.idx:
                self._frames.append(fr)
                self.heat.pending.append(fr)
            out.extend(self._in_segment(fr))
        else:
            self.heat.silence(fr.idx)
            out.extend(self.turns.silence(fr.idx, frame_time(fr.idx + 1)))
        return out

    def _open_segment(self, start: int, frames: list[Frame], now: int) -> list[PerceptionEvent]:
        self._frames = frames
        self.heat.pending = list(frames)
        self._speaker = self.attributor.single or self.attributor.guess(frames)
        self._next_check = start + WINDOW_FRAMES
        self.turns.open(start, self._speaker)
        t = frame_time(now + 1)
        return [VoiceStart(t=t, start=frame_time(start), speaker=self._speaker)]

    def _in_segment(self, fr: Frame) -> list[PerceptionEvent]:
        out: list[PerceptionEvent] = []
        now_t = frame_time(fr.idx + 1)
        if fr.idx + 1 >= self._next_check and len(self._frames) >= WINDOW_FRAMES:
            # The latest whole window on the utterance's grid (reused at its end).
            p = (len(self._frames) - WINDOW_FRAMES) // WINDOW_FRAMES * WINDOW_FRAMES
            recent = self._frames[p : p + WINDOW_FRAMES]
            self._next_check = fr.idx + 1 + frame_count(self.cfg.attribute.recheck_s)
            fm = self.attributor.frame_verdict(recent)
            if fm is not None and fm == self._speaker:
                att = fm  # the cheap frame model is sure it is still the same voice
            else:
                att = self.attributor.running(recent)
            if att != UNKNOWN and att != self._speaker:
                log.debug("segment speaker %s -> %s at %.2f", self._speaker, att, now_t)
                if self._speaker != UNKNOWN and self.turns.idle:
                    # A turn the frame model missed (similar voices): split the utterance
                    # at the longest pause since the previous check.
                    out.extend(self._split(self._turn_at_pause(p, att), fr.idx))
                self._speaker = att
                self.turns.set_floor(att)
        # Interruptions / overlap from the frame-level speaker evidence.
        events, changes = self.turns.step(fr, now_t)
        out.extend(events)
        for change in changes:
            out.extend(self._split(change, fr.idx))
        # Raised voice: frames wait until the segment's speaker has a baseline.
        out.extend(self.heat.step(self._speaker, now_t))
        return out

    def _turn_at_pause(self, p: int, new: str) -> TurnChange:
        lo = max(0, p - frame_count(self.cfg.attribute.recheck_s))
        best, run, best_end = 0, 0, p
        for i in range(lo, p + WINDOW_FRAMES // 2):
            run = 0 if self._frames[i].vad else run + 1
            if run > best:
                best, best_end = run, i + 1
        onset = self._frames[min(best_end, len(self._frames) - 1)].idx
        return TurnChange(onset, new, self._speaker, onset - best, False)

    def _split(self, change: TurnChange, now: int) -> list[PerceptionEvent]:
        """The floor changed inside a segment: close the first voice's utterance and go on
        with the new voice's, so each Utterance has one speaker."""
        prev = [f for f in self._frames if f.idx < change.previous_end]
        voiced = [i for i, f in enumerate(prev) if f.vad]
        prev = prev[: voiced[-1] + 1] if voiced else []
        self._frames = [f for f in self._frames if f.idx >= change.onset]
        self.heat.pending = []
        self._speaker = change.speaker
        self._next_check = change.onset + WINDOW_FRAMES
        now_t = frame_time(now + 1)
        out: list[PerceptionEvent] = []
        if prev:
            # Named from where that voice was heard alone: after a cut-in the piece
            # runs into the overlap, where the other voice would blur its d-vector.
            alone = [f for f in prev if f.idx < change.onset]
            enough = sum(f.vad for f in alone) >= frame_count(self.cfg.attribute.alone_s)
            speaker = self.attributor.utterance(alone if enough else prev)
            # A third voice may hide in it as in a piece found at close.
            out.extend(_utterances(self.strangers.split(prev, speaker), prev[-1].idx + 1, now_t))
        out.append(VoiceStart(t=now_t, start=frame_time(change.onset), speaker=change.speaker))
        return out

    def _close_segment(self, now: int, end: int | None = None) -> list[PerceptionEvent]:
        if end is None:
            seg_end = self.segments.close(now)
            if seg_end is None:
                self._frames, self.heat.pending = [], []
                return []
            end = seg_end.end
        frames = [f for f in self._frames if f.idx < end]
        self._frames, self.heat.pending = [], []
        now_t = frame_time(now + 1)
        out: list[PerceptionEvent] = list(self.turns.close(now, now_t))
        if not frames:
            self.windows.clear()
            return out
        # The windows embedded while the segment was open are reused by the final
        # attribution (same grid), so they are dropped only afterwards.
        pieces = self.settler.settle(frames)
        if pieces is None:
            pieces = [Piece(frames, self.attributor.utterance(frames, learn=True))]
        pieces = [q for piece, name in pieces for q in self.strangers.split(piece, name)]
        self.windows.clear()
        for piece, speaker in pieces:
            self.heat.adapt(speaker, piece)
        out.extend(_utterances(pieces, end, now_t))
        return out


def _utterances(pieces: list[Piece], end: int, t: float) -> list[Utterance]:
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
                **_voice_of(piece),
            )
        )
    return out


def _voice_of(frames: list[Frame]) -> dict[str, float]:
    """Median level and pitch of the voiced frames (as a calm baseline is measured), for
    the log and the live view; empty when too few frames are voiced to say."""
    voiced = [f for f in frames if f.vad and f.f0_hz > 0]
    if len(voiced) < 5:
        return {}
    return {
        "level_db": float(np.median([f.level_db for f in voiced])),
        "pitch_hz": float(np.median([f.f0_hz for f in voiced])),
    }


def _ordered(events: list[PerceptionEvent]) -> list[PerceptionEvent]:
    return sorted(events, key=lambda e: e.t)  # stable: same-time events keep their order
