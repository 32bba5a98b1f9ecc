"""One coaching session: audio in, the coach's voice and an event log out, on media time.

The loop is the same for a microphone, a recording and the simulated demo room:
chunks of 16 kHz audio are cut into 30 ms frames; each frame goes through the listener
(VAD, speakers, detectors), what it hears goes to the dialogue engine, and the engine's
actions become speech, screen text and log records. Time is the count of samples read,
so a recording replays to the same events as the live session that made it.

Why one module of ~680 lines: the frame loop, barge-in and its pre-roll, speculative
transcription, utterances held back for a due pause, and enrolment all read and change
the same per-frame state on the same media time, and their order within a frame is what
keeps a replay identical. What has a seam lives elsewhere: prompts as audio
(`speech.promptcache`), learning voices (`voicelearning`), barge-in detection
(`perception.bargein`), cues in the words (`perception.language`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from voicecoach import eventlog as ev
from voicecoach.audio.base import AudioSink, AudioSource
from voicecoach.dialogue import protocol as dp
from voicecoach.errors import DeviceLost
from voicecoach.observer import TICK_S, SessionObserver
from voicecoach.perception import types as pt
from voicecoach.perception.bargein import BargeInDetector
from voicecoach.perception.language import CueTracker, find_cues
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

if TYPE_CHECKING:
    from voicecoach.voicelearning import VoiceLearning

log = logging.getLogger(__name__)

UNINTERRUPTIBLE = ("pause.", "safety.")
"""Prompt ids a partner cannot talk over: the pause and the safety stop are said in full,
however heated the room."""

ANSWER_HANGOVER_S = 0.35
"""Silence that ends an utterance while the coach waits for an answer (the listener's
default, 0.6 s, holds while monitoring). With the engine's ``turn_end_s`` the turn of a
finished sentence is over as soon as its utterance is transcribed; a sentence that trails
off ("...and I") still waits for more (``turn_end_incomplete_s``)."""

PREROLL_S = 0.3
"""Audio kept from just before a barge-in. The listener is deaf while the coach speaks, so
the words that made the partner cut in (~90 ms and more) would be missing from the start
of their utterance; they are put back for the transcriber."""

SPECULATE_AFTER_S = 0.18
"""Silence after which the open utterance of a partner whose turn is awaited is
transcribed, speculatively: before the utterance ends (``ANSWER_HANGOVER_S``), so its
text is ready when the engine's decision is due. If the partner goes on, the guess is
discarded; when the utterance ends on the same speech, its text is the guess's. Done
synchronously at this media-time point, so a replay gives the same events however
long the transcription takes; on a live microphone it runs while the pause does."""

SPECULATE_MAX_S = 6.0
"""Longest open utterance transcribed speculatively. Every pause of 0.18-0.35 s inside a
long message would otherwise transcribe the whole utterance again (CPU a 2-core machine
needs for listening); a message ends 0.7 s into its pause, so for long utterances the
text made when the utterance ends (0.35 s) is still in time."""

MIN_GARBLED_S = 0.6
"""Seconds of speech with no words transcribed that still count as a (garbled) turn: the
engine answers it with "I didn't catch that" rather than waiting out the silence."""


class Transcriber(Protocol):
    def transcribe(self, audio: np.ndarray) -> str: ...


class Listener(Protocol):
    def feed(self, samples: np.ndarray) -> list[pt.PerceptionEvent]: ...

    def flush(self) -> list[pt.PerceptionEvent]: ...

    def enroll(self, name: str, audio: np.ndarray) -> None: ...

    def mute(self, muted: bool) -> None: ...

    def set_hangover(self, seconds: float | None) -> None:
        """Silence that ends an utterance from the next frame on; None: the configured one."""
        ...

    def pause(self) -> pt.Pause | None:
        """The open utterance so far while its speaker is silent, else None."""
        ...

    def baseline(self, name: str) -> tuple[float, float] | None:
        """``name``'s calm level (dBFS) and pitch (Hz) as known now, or None."""
        ...

    def set_readiness(self, readiness: float) -> None:
        """How primed the talk is (0..1, from cues in the transcripts)."""
        ...


class VoiceCheck(Protocol):
    """Judges an enrolment answer (`voicecoach.perception.enrolcheck.EnrolmentCheck`)."""

    def judge(
        self,
        audio: np.ndarray,
        partners: dict[str, np.ndarray] | None = None,
        coach: np.ndarray | None = None,
    ) -> Any: ...


class Engine(Protocol):
    def start(self, t: float) -> list[dp.Action]: ...

    def handle(self, event: dp.EngineInput) -> list[dp.Action]: ...

    @property
    def finished(self) -> bool: ...

    @property
    def enrolling(self) -> str | None:
        """The partner whose voice is being learnt now (their enrolment turn is open)."""
        ...

    @property
    def floor(self) -> str | None:
        """Who has the floor now (a partner, both, or None): for the live view."""
        ...

    @property
    def awaiting_answer(self) -> bool:
        """A partner's turn is open and the coach will answer it: utterances end sooner."""
        ...

    @property
    def heat_pending(self) -> bool:
        """The pause is due within a breath: slow work (transcription) waits for it."""
        ...

    def upcoming_prompts(self) -> list[str]:
        """Texts the coach may say next: their first sentences are made ahead."""
        ...

    def urgent_prompts(self) -> list[str]:
        """Texts that must start at once (the pause, the safety question): made first."""
        ...

    @property
    def missing_voices(self) -> tuple[str, ...]:
        """Partners whose enrolment ended without their voice (learnt from the talk)."""
        ...


@dataclass
class _Preroll:
    """Mic audio from just before a barge-in, kept for the partner's utterance."""

    start_n: int  # sample index of its first frame
    frames: list[np.ndarray]
    until: float | None = None  # s: where the listener's utterance begins, once known

    def audio(self) -> np.ndarray:
        """The kept audio up to where the utterance's own audio takes over."""
        assert self.until is not None
        keep = max(0, round(self.until * SAMPLE_RATE) - self.start_n)
        return np.concatenate(self.frames)[:keep].astype(np.float32)


@dataclass(frozen=True)
class _Guess:
    """A speculative transcript of an open utterance (see ``SPECULATE_AFTER_S``)."""

    start: float  # s, the utterance's onset
    end: float  # s, end of the speech it covers
    voiced_end: float  # s, its last voiced frame's end: later once the speaker goes on
    text: str


@dataclass
class _Speaking:
    id: str
    text: str
    start: float  # s
    end: float  # s, planned
    firm: bool = False  # said in full: a partner talking does not stop it


@dataclass
class Session:
    """Wires listener, transcriber, engine, voice, sink and log together on media time."""

    listener: Listener
    transcriber: Transcriber
    engine: Engine
    prompts: PromptCache
    sink: AudioSink
    log: ev.EventLog
    show: Callable[[dp.Show], None] = lambda s: None
    max_seconds: float | None = None  # stop after this much media time (demo safety net)
    keys: Callable[[], list[str]] = lambda: []  # key presses since the last call (terminal edge)
    on_action: list[Callable[[dp.Action, Session], None]] = field(default_factory=list)
    on_heard: list[Callable[[ev.Heard], None]] = field(default_factory=list)
    barge_in: bool = True  # off when the coach's own echo can't be removed from the mic
    observers: list[SessionObserver] = field(default_factory=list)  # the live view
    mute_while_speaking: bool = True  # deaf while the coach speaks (its echo); off when
    # the coach cannot be heard in the input at all (a recording)
    voices: VoiceLearning | None = None  # checks what enrolment
    # heard and learns voices (None: every enrolment answer is learnt unchecked)
    on_utterance: list[Callable[[pt.Utterance, str], None]] = field(default_factory=list)
    answer_hangover_s: float | None = ANSWER_HANGOVER_S  # None: never shortened
    speculate: bool = True  # transcribe an awaited turn while its pause runs

    on_end: list[Callable[[str, Session], None]] = field(default_factory=list)
    """Called with the end reason once the session-end record is written, however the
    session ended (input over, finished, a signal, an error): e.g. writing a report."""

    n: int = 0  # samples consumed: the session's clock
    speaking: _Speaking | None = None
    end_reason: str | None = None
    stop_reason: str | None = None  # set from outside (a signal): end at the next frame
    _pending: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    _queue: list[dp.Say] = field(default_factory=list)
    _barge: BargeInDetector = field(default_factory=BargeInDetector)
    _cues: CueTracker = field(default_factory=CueTracker)
    _enrolment: dict[str, np.ndarray] = field(default_factory=dict)  # each partner's enrol audio
    _logged_voices: set[str] = field(default_factory=set)  # "learned X's voice" said once
    _rate: float = 1.0  # speaking rate of the latest prompt (the "slower" command)
    _quick_ends: bool = False  # the listener's hangover is shortened (an answer is awaited)
    _recent: deque[np.ndarray] = field(
        default_factory=lambda: deque(maxlen=round(PREROLL_S * SAMPLE_RATE / FRAME_SAMPLES))
    )  # the latest mic frames, for a barge-in's pre-roll
    _preroll: _Preroll | None = None  # after a barge-in, until its utterance is heard
    _source: AudioSource | None = None  # while running
    _guess: _Guess | None = None  # the open utterance transcribed while its pause runs
    guesses: int = 0  # speculative transcriptions made (for benchmarks)
    guesses_used: int = 0  # ... whose text an utterance took
    _held: list[pt.Utterance] = field(default_factory=list)  # transcribed after the pause began

    @property
    def t(self) -> float:
        """Media time in seconds."""
        return self.n / SAMPLE_RATE

    @property
    def busy_until(self) -> float:
        """Media time at which the coach's current prompt ends (now, if silent)."""
        return self.speaking.end if self.speaking else self.t

    # ------------------------------------------------------------------ running

    def request_stop(self, reason: str) -> None:
        """End the session at the next frame, as cleanly as at the end of its input (a
        signal handler calls this; see voicecoach.stopping)."""
        self.stop_reason = self.stop_reason or reason
        if self._source is not None:
            self._source.interrupt()  # a microphone waiting to come back
        self.sink.interrupt()  # a speaker draining

    def device_changed(self, device: str, state: str, text: str) -> None:
        """A microphone or speaker went away or came back (the device edge tells us)."""
        self.log.write(ev.Device(t=self.t, device=device, state=state, text=text))

    def run(self, source: AudioSource) -> str:
        """Run until the source ends, the engine ends the session, a stop is requested,
        or Ctrl-C.

        The log always gets its closing record, whatever stopped the session.
        """
        self.log.write(ev.Session(t=0.0, state="start"))
        reason = "input ended"
        self._source = source
        try:
            if self.stop_reason is None:
                self._apply(self.engine.start(self.t))
                for chunk in source.chunks():
                    if self._feed(np.asarray(chunk, dtype=np.float32)):
                        break
                else:
                    self._events(self.listener.flush())
                    self._release_held(force=True)
            if self.stop_reason:
                reason = self.stop_reason
            elif self.end_reason:
                reason = self.end_reason
            elif self.engine.finished:
                reason = "finished"
            if not self.stop_reason:
                self.sink.drain()  # a live speaker still holds the last words: let them be heard
        except KeyboardInterrupt:
            reason = "interrupted"
            raise
        except Exception as exc:
            # E.g. the microphone unplugged for good (DeviceLost): the log is kept.
            reason = f"error: {exc}"
            if isinstance(exc, DeviceLost) and exc.reason:
                reason = exc.reason
            raise
        finally:
            if self.speaking is not None:  # cut off by the end of input or a stop
                s = self.speaking
                end = min(self.t, s.end)
                if self.stop_reason:
                    self.sink.stop(end)
                self.log.write(ev.Say(t=end, id=s.id, text=s.text, start=s.start, end=end))
            self.log.write(ev.Session(t=self.t, state="end", reason=reason))
            try:
                for hook in self.on_end:
                    hook(reason, self)
            finally:
                self.log.close()
                source.close()
                self.sink.close()
        return reason

    def _feed(self, chunk: np.ndarray) -> bool:
        """Consume a chunk frame by frame; True when the session is over."""
        buf = np.concatenate([self._pending, chunk]) if len(self._pending) else chunk
        i = 0
        while i + FRAME_SAMPLES <= len(buf):
            if self._frame(buf[i : i + FRAME_SAMPLES]):
                self._pending = np.zeros(0, np.float32)
                return True
            i += FRAME_SAMPLES
        self._pending = buf[i:].copy()
        return False

    def _frame(self, frame: np.ndarray) -> bool:
        if self.stop_reason is not None:
            return True  # asked to stop (a signal): no more listening, not even to the end
        # The coach's own voice must never become a partner's turn or a detection.
        self.listener.mute(self.speaking is not None and self.mute_while_speaking)
        self._follow_turns()
        events = self.listener.feed(frame)
        self.n += len(frame)
        t = self.t
        self._keep_preroll(frame, events)
        # The barge-in detector hears every frame: whether the room was quiet just before
        # the coach began decides whether speech during the prompt is someone cutting in.
        cut_in = self._barge.push(frame)
        if self.speaking is not None and self._can_barge_in() and cut_in:
            self._barged_in(t)
        while self.speaking and t >= self.speaking.end:
            self._finish_speaking(self.speaking.end)
        self._events(events)
        self._speculate()
        for key in self.keys():
            self._apply(self.engine.handle(dp.KeyPressed(t=t, key=key)))
        self._apply(self.engine.handle(dp.Tick(t=t)))
        self._release_held()
        if self.observers and self.n % round(TICK_S * SAMPLE_RATE) < FRAME_SAMPLES:
            floor = self.engine.floor
            for o in self.observers:
                o.tick(t, floor)
        if self.max_seconds is not None and t >= self.max_seconds:
            self.end_reason = self.end_reason or "time limit"
            return True
        # A closing line is heard to its end before the session stops.
        ending = self.end_reason is not None or self.engine.finished
        return ending and self.speaking is None and not self._queue

    def _follow_turns(self) -> None:
        """Shorter utterance ends while an answer is awaited (decided on media time: the
        engine's state after the previous frame)."""
        quick = self.answer_hangover_s is not None and self.engine.awaiting_answer
        if quick == self._quick_ends:
            return
        self.listener.set_hangover(self.answer_hangover_s if quick else None)
        self._quick_ends = quick

    def _keep_preroll(self, frame: np.ndarray, events: list[pt.PerceptionEvent]) -> None:
        """Keep recent frames; after a barge-in, collect until the listener's onset."""
        self._recent.append(frame)
        p = self._preroll
        if p is None or p.until is not None:
            return
        p.until = next((e.start for e in events if isinstance(e, pt.VoiceStart)), None)
        if p.until is None:
            p.frames.append(frame)
            if len(p.frames) * FRAME_SAMPLES > 2 * PREROLL_S * SAMPLE_RATE:
                self._preroll = None  # no utterance followed: nothing to put back

    def _with_preroll(self, u: pt.Utterance) -> np.ndarray:
        """The utterance's audio for the transcriber, with a barge-in's pre-roll."""
        p = self._preroll
        if p is None or p.until is None or u.start < p.until - 1e-6:
            return u.audio  # none, or an earlier utterance closed as the coach began
        self._preroll = None
        return self._preroll_onto(p, u.start, u.audio)

    @staticmethod
    def _preroll_onto(p: _Preroll | None, start: float, audio: np.ndarray) -> np.ndarray:
        if p is None or p.until is None or abs(start - p.until) > 1e-6:
            return audio
        return np.concatenate([p.audio(), audio])

    def _speculate(self) -> None:
        """Transcribe the awaited partner's open utterance once its pause reaches
        ``SPECULATE_AFTER_S``; forget that guess when they go on."""
        if not self.speculate:
            return
        p = self.listener.pause()
        g = self._guess
        if g is not None and (p is None or p.start != g.start or p.voiced_end > g.voiced_end):
            if p is not None and p.start == g.start:
                log.debug("speaker went on after %.2f s: guess %r discarded", g.end, g.text)
            self._guess = None
        if (
            p is None
            or self._guess is not None
            or not self._quick_ends
            or p.silent_s < SPECULATE_AFTER_S - 1e-6
            or self.engine.heat_pending  # the pause first (see _events)
            or p.end - p.start > SPECULATE_MAX_S
        ):
            return
        audio = self._preroll_onto(self._preroll, p.start, p.audio)
        text = self.transcriber.transcribe(audio).strip()
        self._guess = _Guess(p.start, p.end, p.voiced_end, text)
        self.guesses += 1

    def _can_barge_in(self) -> bool:
        return self.barge_in and not (
            self.speaking and (self.speaking.firm or self.speaking.id.startswith(UNINTERRUPTIBLE))
        )

    def _barged_in(self, t: float) -> None:
        """A partner started talking over the coach: stop at once and listen."""
        assert self.speaking is not None
        self.log.write(ev.BargeIn(t=t, speaker=pt.UNKNOWN, id=self.speaking.id))
        self._preroll = _Preroll(self.n - FRAME_SAMPLES * len(self._recent), list(self._recent))
        self.sink.stop(t)
        self._finish_speaking(t, interrupted=True)
        self._apply(self.engine.handle(dp.SpeechStarted(t=t, speaker=pt.UNKNOWN)))

    def _finish_speaking(self, t: float, interrupted: bool = False) -> None:
        if self.speaking is None:
            return
        s, self.speaking = self.speaking, None
        end = min(t, s.end)
        if interrupted:
            self._queue.clear()  # a partner took the floor: the rest of the prompt waits
        self.log.write(ev.Say(t=end, id=s.id, text=s.text, start=s.start, end=end))
        self._apply(self.engine.handle(dp.SayDone(t=end, id=s.id, interrupted=interrupted)))
        if self.speaking is None:
            self._start_next(end)

    # ------------------------------------------------------------------ perception

    def _events(self, events: list[pt.PerceptionEvent]) -> None:
        # A heat alarm decided in the same frame as an utterance's end goes first, so that
        # the utterance is held back from Whisper while the pause is due (below).
        events = sorted(events, key=lambda e: not isinstance(e, pt.RaisedVoice | pt.Interruption))
        for e in events:
            if isinstance(e, pt.RaisedVoice | pt.Interruption) and self.engine.enrolling:
                # A voice is being learnt: there is no calm baseline to judge it against yet.
                log.debug("ignored while enrolling: %s", e)
                continue
            if isinstance(e, pt.VoiceStart | pt.Utterance):
                for o in self.observers:
                    o.voice(e.t, e.speaker if isinstance(e, pt.VoiceStart) else None)
            if isinstance(e, pt.VoiceStart):
                self._apply(self.engine.handle(dp.SpeechStarted(t=e.t, speaker=e.speaker)))
            elif isinstance(e, pt.Utterance):
                if self.engine.heat_pending:
                    # The pause is due within a breath: Whisper (~0.5-1 s of CPU per
                    # utterance) must not hold the loop, and the pause, back. Transcribed as
                    # soon as the pause has begun; danger words still stop everything then.
                    self._held.append(e)
                    # The engine still hears that they stopped: a breath to speak into.
                    said = dp.PartnerSaid(
                        t=e.t, speaker=e.speaker, text="", start=e.start, end=e.end
                    )
                    self._apply(self.engine.handle(said))
                else:
                    self._utterance(e)
            elif isinstance(e, pt.RaisedVoice):
                self.log.write(
                    ev.Detect(
                        t=e.t, kind="raised_voice", speaker=e.speaker, score=e.score, onset=e.start
                    )
                )
                self._apply(
                    self.engine.handle(
                        dp.HeatAlarm(
                            t=e.t,
                            kind="raised_voice",
                            speaker=e.speaker,
                            score=e.score,
                            onset=e.start,
                        )
                    )
                )
            elif isinstance(e, pt.Interruption):
                score = min(1.0, e.overlap)  # a longer overlap is a clearer interruption
                self.log.write(
                    ev.Detect(
                        t=e.t,
                        kind="interruption",
                        speaker=e.interrupted,
                        score=score,
                        by=e.speaker,
                        onset=e.time,
                    )
                )
                self._apply(
                    self.engine.handle(
                        dp.HeatAlarm(
                            t=e.t,
                            kind="interruption",
                            speaker=e.interrupted,
                            score=score,
                            by=e.speaker,
                            onset=e.time,
                        )
                    )
                )

    def _release_held(self, force: bool = False) -> None:
        """Transcribe the utterances held back while a pause was due, once it has begun."""
        if not self._held or (self.engine.heat_pending and not force):
            return
        held, self._held = self._held, []
        for u in held:
            self._utterance(u, heard_at=self.t)

    def _utterance(self, u: pt.Utterance, heard_at: float | None = None) -> None:
        """A partner's utterance: learn the voice if enrolling, transcribe, tell the engine.
        ``heard_at``: media time it is transcribed, when later than its end (held back)."""
        t = u.t if heard_at is None else heard_at
        speaker = u.speaker
        partner = self.engine.enrolling
        audio = self._with_preroll(u)
        if partner is not None:
            # The coach asked this partner by name for a sentence: that is their voice
            # (if it is one voice's speech at all: `voices` checks it).
            self._enrol(partner, u, audio)
            speaker = partner
        elif self.voices is not None:
            for name, checked in self.voices.overheard(u, audio, self.engine):
                self._learned(name, u, checked)
        for on_utterance in self.on_utterance:
            on_utterance(u, speaker)
        self._log_voice(u, speaker)
        g, self._guess = self._guess, None
        if g is not None and abs(g.start - u.start) < 1e-6 and abs(g.end - u.end) < 1e-6:
            text = g.text  # transcribed while the pause ran: the same speech
            self.guesses_used += 1
        else:
            text = self.transcriber.transcribe(audio).strip()
        if not text and u.end - u.start < MIN_GARBLED_S:
            # Short and wordless: a cough or a door, not an answer to be asked again.
            log.debug("utterance %.2f-%.2f s: nothing transcribed", u.start, u.end)
            return
        heard = ev.Heard(t=t, speaker=speaker, text=text, start=u.start, end=u.end)
        if text:
            self.log.write(heard)
            self._language(heard)
        for hook in self.on_heard:
            hook(heard)
        self._apply(
            self.engine.handle(
                dp.PartnerSaid(t=t, speaker=speaker, text=text, start=u.start, end=u.end)
            )
        )

    def _log_voice(self, u: pt.Utterance, speaker: str) -> None:
        """Who spoke when, how loud and how high, against their calm baseline: for the
        report and the live view (any speech, with or without words)."""
        base = self.listener.baseline(speaker)
        self.log.write(
            ev.Voice(
                t=u.t,
                speaker=speaker,
                start=u.start,
                end=u.end,
                level_db=u.level_db,
                pitch_hz=u.pitch_hz,
                base_level_db=base[0] if base else None,
                base_pitch_hz=base[1] if base else None,
            )
        )

    def _enrol(self, partner: str, u: pt.Utterance, audio: np.ndarray) -> None:
        """An enrolment answer (maybe one piece of it): learn it if it passes the check."""
        if self.voices is not None:
            checked = self.voices.answer(partner, audio)
            self._learned(partner, u, checked)
            return
        # Unchecked (tests with a stand-in listener): an answer in several pieces is
        # learnt from all of them together.
        heard = self._enrolment.get(partner)
        audio = audio if heard is None else np.concatenate([heard, audio])
        self._enrolment[partner] = audio
        try:
            self.listener.enroll(partner, audio)
        except ValueError as exc:  # too little speech yet: wait for more of it
            log.info("not enrolling %s yet: %s", partner, exc)
            return
        self._learned(partner, u, dp.VoiceChecked(u.t, partner, True))

    def _learned(self, partner: str, u: pt.Utterance, checked: dp.VoiceChecked) -> None:
        """Tell the engine what came of a voice check; log a voice learnt once only."""
        if checked.learned and partner not in self._logged_voices:
            self._logged_voices.add(partner)
            self.log.write(ev.Enroll(t=u.t, speaker=partner, start=u.start, end=u.end))
        self._apply(self.engine.handle(dataclasses.replace(checked, t=u.t)))

    def _language(self, heard: ev.Heard) -> None:
        # Criticism and contempt in the words make the voice detectors readier; they
        # never sound an alarm themselves.
        for cue in find_cues(heard.text, t=heard.t, speaker=heard.speaker):
            self.log.write(ev.Cue(t=cue.t, speaker=cue.speaker, kind=cue.kind, phrase=cue.phrase))
            self._cues.add(cue)
        self.listener.set_readiness(self._cues.readiness(heard.t))

    # ------------------------------------------------------------------ actions

    def _apply(self, actions: list[dp.Action]) -> None:
        for action in actions:
            for hook in self.on_action:
                hook(action, self)
            if isinstance(action, dp.Say):
                self._say(action)
            elif isinstance(action, dp.Listen):
                self._prepare_replies()
            elif isinstance(action, dp.Show):
                self.log.write(ev.Show(t=self.t, text=action.text))
                self.show(action)
            elif isinstance(action, dp.EnterStep):
                self.log.write(ev.Step(t=self.t, script=action.script, step=action.step))
            elif isinstance(action, dp.SafetyAnswer):
                self.log.write(ev.Safety(t=self.t, speaker=action.speaker, answer=action.answer))
            elif isinstance(action, dp.StopSpeaking):
                if self.speaking is not None:
                    self.sink.stop(self.t)
                    self._finish_speaking(self.t, interrupted=True)
            elif isinstance(action, dp.EndSession):
                self.end_reason = action.reason

    def _prepare_replies(self) -> None:
        """A partner has the floor, or the coach's line is playing: make the first
        sentences of what the coach may say next now, not when it is due (then it would
        wait for the synthesizer)."""
        made = self.prompts.prepare_first(self.engine.upcoming_prompts(), self._rate)
        if made:
            log.debug("made %d reply openings ahead", made)

    def _say(self, action: dp.Say) -> None:
        # A prompt asked for while another plays waits its turn: the coach never talks
        # over itself, and each prompt gets its own SayDone.
        self._queue.append(action)
        if self.speaking is None:
            self._start_next(self.t)

    def _start_next(self, start: float) -> None:
        if not self._queue:
            return
        action = self._queue.pop(0)
        self._rate = action.rate
        # Each sentence goes to the sink as soon as it is synthesized: a live speaker
        # starts on the first while the rest is still being made.
        n = 0
        for piece in self.prompts.stream(action.text, action.rate):
            self.sink.play(start + n / SAMPLE_RATE, piece)
            n += len(piece)
            if self.stop_reason is not None:
                break  # a signal: the rest of the line is not even synthesized
        self.speaking = _Speaking(
            id=action.id,
            text=action.text,
            start=start,
            end=start + n / SAMPLE_RATE,
            firm=action.firm,
        )
        self._barge.reset()
        self.listener.mute(self.mute_while_speaking)
        if self.voices is not None:
            self.voices.coach_said(self.prompts.get(action.text, action.rate))
        if not self._queue:
            # The speaker has the whole line: make the next line's opening while it plays.
            self._prepare_replies()
