"""The dialogue engine: runs the scripts, keeps turn-taking fair, and keeps people safe.

Pure and deterministic: events in, actions out. Time comes only from the events' ``t``
(media time); there is no clock, no thread and no audio here.

How it runs: each script step is a Python generator (`steps`) that yields what it waits
for (`waits`): the coach to finish a line, a partner's turn, a time on the media clock, a
heat alarm, another script. The engine feeds events to whatever is waited for. Things that can
happen at any moment (danger words, voice commands, heat, a key) are handled here,
above the steps, so no script can forget them.

Why one module of ~900 lines: what is handled above the steps (danger words, commands,
heat, keys, the safety question, enrolment) all reads and changes the same state: the
stack of running scripts, the open turn and the pending heat. The steps (`steps`), the
floor (`floor`), answers, mirroring and help text are out already; splitting the rest
first needs that state given one owner (the steps mixed into the engine made
composition).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from voicecoach.dialogue import answers, prompts
from voicecoach.dialogue.commands import addressed, command
from voicecoach.dialogue.floor import BOTH, STALE_TALK_S, HoldFloor, Turn, TurnOver
from voicecoach.dialogue.helpinfo import help_text, spoken_help
from voicecoach.dialogue.library import load_set
from voicecoach.dialogue.mirror import missed_most
from voicecoach.dialogue.protocol import (
    Action,
    EndSession,
    EngineInput,
    EnterStep,
    HeatAlarm,
    KeyPressed,
    Listen,
    PartnerSaid,
    SafetyAnswer,
    Say,
    SayDone,
    Show,
    SpeechStarted,
    StopSpeaking,
    Tick,
    VoiceChecked,
)
from voicecoach.dialogue.safety import danger
from voicecoach.dialogue.script import Script, ScriptError, Step
from voicecoach.dialogue.settings import Settings
from voicecoach.dialogue.steps import Steps
from voicecoach.dialogue.waits import (
    End,
    Finish,
    Reopen,
    ScriptRun,
    Wait,
    WaitHeat,
    WaitSay,
    WaitScript,
    WaitTurn,
    WaitUntil,
)

log = logging.getLogger(__name__)

BARGE_IN_HEAR_OUT_S = 3.0
"""After a partner cut the coach's line: how long to wait, if no words come, before going on."""

UNKNOWN = "unknown"

_MAX_VISITS = 40  # a step entered this often in one run of a script: something is looping


class Engine(Steps):
    """Runs the entry script for two partners; see docs/scripts.md for the language.

    ``scripts``: a mapping name -> Script, a loader ``name -> Script``, or None for
    ``load_script``. Every script the entry script can reach is loaded (and checked) here,
    so a broken script fails before the session starts, as a ScriptError.
    """

    def __init__(
        self,
        scripts: Mapping[str, Script] | Callable[[str], Script] | None = None,
        partners: Sequence[str] = ("Partner one", "Partner two"),
        entry: str = "session",
        settings: Settings | Mapping[str, Any] | None = None,
        known_voices: Iterable[str] = (),
    ) -> None:
        names = [str(p).strip() for p in partners]
        if len(names) != 2 or not all(names) or names[0] == names[1]:
            raise ValueError(f"the engine needs two different partner names, got {partners!r}")
        self.partners: tuple[str, str] = (names[0], names[1])
        self.settings = Settings.of(settings)
        self._scripts = load_set(scripts, entry)
        self.entry = entry
        self._sender, self._receiver = self.partners
        self._vars: dict[str, str] = {"round": "1"}
        self.t = 0.0
        self._out: list[Action] = []
        self._stack: list[ScriptRun] = []
        self._wait: Wait | None = None
        self._turn: Turn | None = None
        self._listen: Listen | None = None  # the last Listen, re-sent after an aside
        self._speaking: str | None = None  # id of the line in the air, until its SayDone
        self._said_at = 0.0
        self._said_max = 60.0  # s: longest a line may take before we stop waiting for SayDone
        self._asides: list[Say] = []  # engine lines queued while a turn is open
        self._in_aside = False
        self._talking: dict[str, float] = {}
        self._early: list[PartnerSaid] = []  # words heard while the coach was speaking
        self._heat_pauses = 0  # pauses for heat inside an exercise, this session
        self._barged_at: float | None = None  # s: a partner cut the coach's line; hear them out
        self._last_prompt: Say | None = None
        self._rate = 1.0
        self._pending_heat: HeatAlarm | None = None
        self._heat_since: float | None = None  # s: onset of the pending heat (earliest)
        self._reopen: Reopen | None = None
        self._seed: tuple[str, str] | None = None  # (speaker, words) to start a turn with
        self._stopping: str | None = None  # EndSession reason, sent once the last line is done
        self._last_result = "done"  # the result of the script that just ended
        self._last_by = UNKNOWN  # who actually spoke in the last turn (for open floors)
        self._help_shown = False
        self._cut: str | None = None  # the last line a partner talked over
        self._answers: list[str] = []  # safety answers given (danger words count as "no")
        # Voices: partners whose voice the listener knows (saved profiles, --enroll, or
        # learnt here), the one being learnt now, the latest check of each, and those the
        # enrolment could not learn (the session keeps learning them from the talk).
        self._voices: set[str] = {v for v in known_voices if v in self.partners}
        self._enrolling: str | None = None
        self._voice_check: dict[str, VoiceChecked] = {}
        self._missing: list[str] = []
        self._finished = False
        self._started = False

    # ------------------------------------------------------------ public API

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def floor(self) -> str | None:
        """Who has the floor now (a partner name, BOTH while monitoring, or None)."""
        if self._turn is not None:
            return self._turn.speaker
        return BOTH if isinstance(self._wait, WaitHeat) else None

    @property
    def awaiting_answer(self) -> bool:
        """A partner's turn is open and the coach will answer it (not monitoring, not
        learning a voice): the session ends utterances on shorter silences then, so the
        answer comes sooner."""
        return self._turn is not None and self.enrolling is None

    @property
    def enrolling(self) -> str | None:
        """The partner whose voice the coach is learning right now, else None: from the
        request on (an answer that starts before the coach has finished asking is theirs
        too), through any re-ask, until their enrolment step ends."""
        return self._enrolling

    @property
    def missing_voices(self) -> tuple[str, ...]:
        """Partners whose enrolment ended without their voice: the session learns it from
        the conversation (`VoiceChecked` tells the engine when it has)."""
        return tuple(self._missing)

    @property
    def heat_pending(self) -> bool:
        """Heat was detected and the pause waits for a breath (at most ``heat_gap_wait_s``
        after the heat's onset): the session holds back slow work (transcription) so the
        pause is not late in the room."""
        return self._pending_heat is not None and not self._finished and self._stopping is None

    @property
    def roles(self) -> tuple[str, str]:
        """(sender, receiver) now."""
        return self._sender, self._receiver

    def urgent_prompts(self) -> list[str]:
        """Texts worth synthesising ahead: the pause and safety lines must start at once."""
        names = {s.on_heat for s in self._scripts.values() if s.on_heat}
        names |= {"pause"} & set(self._scripts)
        texts: list[str] = [prompts.SAFETY_STOP, prompts.BREATHE_IN, prompts.BREATHE_OUT]
        for name in sorted(names):
            for step in self._scripts[name].steps.values():
                if step.kind in ("say", "ask") and step.text:
                    for who in self.partners:
                        text = self._render(step.text, to=who)
                        if text not in texts:
                            texts.append(text)
        return texts

    def upcoming_prompts(self) -> list[str]:
        """Texts the coach may say once the current wait is over: the steps that can
        follow the current one, and "I didn't catch that". The session synthesises their
        first sentences while a partner answers or the coach speaks, so the next line
        starts without waiting for the synthesizer. A guess: a wrong one only costs that
        synthesis."""
        frame = self._stack[-1] if self._stack else None
        if frame is None or frame.step is None or frame.step not in frame.script.steps:
            return []
        script = frame.script
        step = script.steps[frame.step]
        texts: list[str] = []
        if step.kind == "ask" and step.text:
            texts.append(prompts.NOT_CAUGHT.format(question=self._first_render(step)))
        ids = [*step.on.values(), step.repeat, step.exit, script.default_next(step)]
        for sid in ids:
            nxt = script.steps.get(sid) if sid else None
            if nxt is not None and nxt.kind == "branch":
                ids.extend(x for x in (nxt.then, nxt.otherwise) if x and x not in ids)
                continue
            if nxt is None or not nxt.text or "{said" in nxt.text or "_said}" in nxt.text:
                continue  # nothing to say, or the words depend on the answer itself
            text = self._first_render(nxt)
            if text and text not in texts:
                texts.append(text)
        return texts

    def _first_render(self, step: Step) -> str:
        """A step's text as it would be said first (to the first partner asked)."""
        if step.kind == "ask":
            first = self._asked(step)[0]
            return self._render(step.text or "", to="" if first == BOTH else first)
        if step.kind == "enroll":
            return self._render(step.text or "", to=self._name(step.who))
        return self._render(step.text or "")

    def start(self, t: float = 0.0) -> list[Action]:
        if self._started:
            raise RuntimeError("Engine.start() called twice")
        self._started = True
        self.t = t
        self._out = []
        self._stack.append(ScriptRun(self._scripts[self.entry]))
        self._pump()
        return self._take()

    def handle(self, event: EngineInput) -> list[Action]:
        if self._finished or not self._started:
            return []
        self.t = max(self.t, event.t)
        self._out = []
        if isinstance(event, Tick):
            self._on_tick()
        elif isinstance(event, SayDone):
            self._on_say_done(event)
        elif isinstance(event, SpeechStarted):
            self._on_speech_started(event)
        elif isinstance(event, PartnerSaid):
            self._on_partner_said(event)
        elif isinstance(event, HeatAlarm):
            self._on_heat(event)
        elif isinstance(event, KeyPressed):
            self._on_key(event)
        elif isinstance(event, VoiceChecked):
            self._on_voice_checked(event)
        else:
            log.warning("engine ignored an unknown event %r", event)
        return self._take()

    def feed(self, events: Iterable[EngineInput]) -> list[Action]:
        """Handle several events; the actions of all of them, in order."""
        out: list[Action] = []
        for event in events:
            out.extend(self.handle(event))
        return out

    # ------------------------------------------------------------ events

    def _on_tick(self) -> None:
        t = self.t
        for who, since in list(self._talking.items()):
            if t - since > STALE_TALK_S:
                del self._talking[who]
        if self._stopping is not None:
            # If the session never confirms the last line, do not hang on it.
            if self._speaking is None or t - self._said_at > 60.0:
                self._end(self._stopping)
            return
        if self._pending_heat is not None:
            self._try_heat()
        if self._asides and self._flush_asides():
            return
        if self._barged_at is not None:
            waited = t - self._barged_at
            if waited >= BARGE_IN_HEAR_OUT_S and (
                not self._talking or waited >= 3 * BARGE_IN_HEAR_OUT_S
            ):
                self._hear_out_done()  # they stopped without words we could use
            return
        if self._speaking is not None:
            if t - self._said_at > self._said_max:
                # The session never confirmed the line; do not wait for ever.
                log.warning(
                    "no SayDone for %s after %.0f s; going on", self._speaking, t - self._said_at
                )
                self._on_say_done(SayDone(t, self._speaking))
            return
        wait = self._wait
        if isinstance(wait, WaitUntil) and t >= wait.t:
            self._pump()
        elif isinstance(wait, WaitHeat) and wait.until is not None and t >= wait.until:
            self._pump()
        elif isinstance(wait, WaitTurn) and self._turn is not None:
            self._check_turn()

    def _on_say_done(self, ev: SayDone) -> None:
        if ev.id != self._speaking:
            log.debug("SayDone for %r ignored (speaking %r)", ev.id, self._speaking)
            return
        self._speaking = None
        if self._stopping is not None:
            self._end(self._stopping)
            return
        if self._in_aside:
            self._in_aside = False
            if self._flush_asides():
                return
            if self._turn is not None:
                self._turn.resume_after_aside(self.t)
            if self._listen is not None and self._wait is not None:
                self._emit(self._listen)
            return
        if ev.interrupted:
            self._cut = ev.id
        if isinstance(self._wait, WaitSay):
            if ev.interrupted:
                # A partner talked over the coach, who stopped: hear them out before the
                # next line, or the coach would talk over them in turn.
                self._barged_at = self.t
                return
            self._pump()

    def _hear_out_done(self) -> None:
        self._barged_at = None
        if isinstance(self._wait, WaitSay) and self._speaking is None:
            self._pump()

    def _on_speech_started(self, ev: SpeechStarted) -> None:
        who = self._who(ev.speaker)
        self._talking[who] = self.t
        if self._try_reopen(who):
            return
        turn = self._turn
        if turn is None or turn.speaker == BOTH:
            return
        if who == turn.speaker:
            turn.talking = True
            if self._in_aside and self._speaking is not None:
                # The floor holder picked up again: the coach yields at once.
                self._emit(StopSpeaking())
        elif who in self.partners:
            turn.interrupted_by(who)

    def _try_reopen(self, who: str) -> bool:
        """The speaker picked up again just as the coach started its next line: yield."""
        ro = self._reopen
        if ro is None:
            return False
        if self.t > ro.until or self._in_aside or self._speaking is None:
            if self.t > ro.until:
                self._reopen = None
            return False
        if who != ro.speaker or not self._stack or self._stack[-1] is not ro.frame:
            return False
        self._reopen = None
        log.info("%s resumed at once: back to %s.%s", who, ro.frame.script.name, ro.step)
        self._emit(StopSpeaking())
        self._speaking = None
        if ro.frame.gen is not None:
            ro.frame.gen.close()
        self._seed = (ro.speaker, ro.text)
        self._enter(ro.frame, ro.step)
        self._pump()
        return True

    def _on_partner_said(self, ev: PartnerSaid) -> None:
        if self._stopping == "not safe":
            return
        who = self._who(ev.speaker)
        self._talking.pop(who, None)
        self._talking.pop(UNKNOWN, None)
        kind = danger(ev.text)
        if kind is not None:
            self._safety_stop(who, kind)  # even while stopping for another reason
            return
        if self._stopping is not None:
            return
        turn = self._turn
        if turn is not None and turn.owns(who):
            turn.talking = False  # their utterance ended, whatever it was
        cmd = command(ev.text)
        if cmd is not None and not self._is_answer(ev.text):
            if turn is not None and turn.intruder == who:
                turn.intruder = None  # they spoke to the coach, not over their partner
            self._on_command(cmd, who, ev.text)
            return
        if turn is not None and isinstance(self._wait, WaitTurn):
            if turn.owns(who):
                turn.add(who, ev.text, ev.end)
            elif who in self.partners:
                turn.interrupted_by(who)
            return
        if isinstance(self._wait, WaitSay) or self._speaking is not None:
            self._early.append(ev)
            if self._barged_at is not None:
                self._hear_out_done()  # their words may be the very turn the line asked for

    def _on_heat(self, ev: HeatAlarm) -> None:
        if self._stopping is not None:
            return
        log.info("heat alarm (%s, %s)", ev.kind, ev.speaker)
        turn = self._turn
        if (
            ev.kind == "interruption"
            and turn is not None
            and turn.speaker not in (BOTH, ev.by)
            and ev.by in self.partners
            and turn.holds < self.settings.max_holds
        ):
            # The listener cut in on the sender: holding the floor is the gentle answer;
            # only if it keeps happening does it become a pause.
            turn.interrupted_by(ev.by)
            return
        onset = min(ev.t, ev.onset if ev.onset is not None else ev.t)
        if self._pending_heat is None or self._heat_since is None:
            self._heat_since = onset
        else:
            # A second alarm in the same fight does not restart the wait for a breath.
            self._heat_since = min(self._heat_since, onset)
        self._pending_heat = ev
        self._try_heat()

    def _on_voice_checked(self, ev: VoiceChecked) -> None:
        self._voice_check[ev.speaker] = ev
        if ev.learned and ev.speaker in self.partners:
            self._voices.add(ev.speaker)
            if ev.speaker in self._missing:
                self._missing.remove(ev.speaker)
                log.info("%s's voice learnt from the conversation", ev.speaker)

    def _on_key(self, ev: KeyPressed) -> None:
        # The quiet way out: no spoken reason, nothing shown.
        log.info("key %r pressed: ending quietly", ev.key)
        if self._speaking is not None:
            self._emit(StopSpeaking())
        self._end(self._stopping or "key pressed")

    # ------------------------------------------------------------ safety, commands, heat

    def _safety_stop(self, who: str, kind: str) -> None:
        log.warning("safety stop: %s words from %s", kind, who)
        if self._speaking is not None:
            self._emit(StopSpeaking())
        self._close_all()
        text = help_text(self.settings.help_country, self.settings.help_text)
        spoken = spoken_help(self.settings.help_country, self.settings.help_text)
        line = prompts.SAFETY_STOP + (" " + spoken if self.settings.speak_help else "")
        self._emit(EnterStep("safety", "stop"))
        self._speak(Say("safety.stop", line, None, self._rate))
        self._emit(Show(text, kind="help"))
        self._emit(SafetyAnswer(who, "no"))
        self._answers.append("no")
        self._help_shown = True
        self._stopping = "not safe"

    def _help_reason(self) -> str:
        """Why a session that showed help ends: "unsure" when the partners' answers were
        doubts and nobody said no (logged as given, never turned into "not safe")."""
        if "no" not in self._answers and "unsure" in self._answers:
            return "unsure"
        return "not safe"

    def _on_command(self, cmd: str, who: str, text: str) -> None:
        if cmd == "stop" and isinstance(self._wait, WaitHeat) and not addressed(text):
            # In their own conversation "Stop!" is said to each other, not to the coach.
            log.info("'stop' during the couple's conversation: not taken as a command")
            return
        log.info("voice command %r from %s", cmd, who)
        if cmd == "stop":
            if self._speaking is not None:
                self._emit(StopSpeaking())
            self._close_all()
            self._speak(Say("engine.stop", prompts.STOP, None, self._rate))
            self._stopping = "stopped"
        elif cmd == "pause":
            self._pending_heat = HeatAlarm(self.t, "pause_command", who, 1.0)
            self._apply_heat(self._pending_heat)
        elif cmd == "talk":
            if isinstance(self._wait, WaitHeat) and self._speaking is None:
                # Asked for a guided dialogue while the coach listened quietly.
                self._pump(HeatAlarm(self.t, "request", who, 1.0))
            else:
                log.info("'help us talk' while a step runs: nothing more to start")
        elif cmd == "skip":
            self._skip()
        elif cmd == "slower":
            self._rate = max(0.5, self._rate * self.settings.slower_rate)
            self._aside(Say("engine.slower", prompts.SLOWER, who, self._rate))
            if self._last_prompt is not None:
                self._aside(
                    Say("engine.repeat", self._last_prompt.text, self._last_prompt.to, self._rate)
                )
        elif cmd == "repeat" and self._last_prompt is not None:
            self._aside(
                Say("engine.repeat", self._last_prompt.text, self._last_prompt.to, self._rate)
            )

    def _is_answer(self, text: str) -> bool:
        """A choice answer that sounds like a command ("a break") is an answer."""
        frame = self._stack[-1] if self._stack else None
        if frame is None or frame.step is None or not isinstance(self._wait, WaitTurn):
            return False
        step = frame.script.steps[frame.step]
        return (
            step.kind == "ask"
            and step.expect == "choice"
            and (answers.choice(text, step.choices) not in (None, "unsure"))
        )

    def _skip(self) -> None:
        if isinstance(self._wait, WaitUntil):
            self._pump()  # cut a timer or a breath short: its check-in still comes
            return
        frame = self._stack[-1] if self._stack else None
        if frame is None or frame.step is None or isinstance(self._wait, WaitHeat):
            return
        step = frame.script.steps[frame.step]
        if step.kind == "ask" and step.safety:
            q = self._render(step.text or "", to=self._turn.speaker if self._turn else "")
            self._aside(
                Say(
                    self._pid(frame, step),
                    prompts.NO_SKIP_SAFETY.format(question=q),
                    None,
                    self._rate,
                )
            )
            return
        if step.kind == "ask":
            target = step.on.get("unsure") or frame.script.default_next(step)
        elif step.kind == "loop":
            target = step.exit
        else:
            target = frame.script.default_next(step)
        if self._speaking is not None:
            self._emit(StopSpeaking())
            self._speaking = None
        self._in_aside = False
        self._asides.clear()
        self._turn = None
        self._listen = None
        if frame.gen is not None:
            frame.gen.close()
        log.info("skipping %s.%s", frame.script.name, step.id)
        if target is None:
            self._pump_result(End("done"))
        else:
            self._enter(frame, target)
            self._pump()

    def _try_heat(self) -> None:
        ev = self._pending_heat
        if ev is None:
            return
        since = ev.t if self._heat_since is None else self._heat_since
        if not self._talking or self.t - since >= self.settings.heat_gap_wait_s:
            self._apply_heat(ev)

    def _apply_heat(self, ev: HeatAlarm) -> None:
        if isinstance(self._wait, WaitHeat):
            if self._speaking is None:
                self._pending_heat = None
                self._pump(ev)
            else:
                self._pending_heat = ev  # after the line in the air (e.g. "repeat that")
            return
        self._pending_heat = None
        self._heat_since = None
        if any(f.heat_pause for f in self._stack):
            log.info("heat while already pausing: nothing more to do")
            return
        index = next(
            (i for i in range(len(self._stack) - 1, -1, -1) if self._stack[i].script.on_heat),
            None,
        )
        if index is None:
            if not self._heat_in_opening(ev):
                log.info("heat outside an exercise: the script decides (no on_heat)")
            return
        frame = self._stack[index]
        pause_name = frame.script.on_heat
        assert pause_name is not None
        if self._speaking is not None:
            self._emit(StopSpeaking())
            self._speaking = None
        for above in self._stack[index + 1 :]:
            if above.gen is not None:
                above.gen.close()
        del self._stack[index + 1 :]
        if frame.gen is not None:
            frame.gen.close()
        frame.gen = None
        frame.interrupted = True
        self._turn = None
        self._listen = None
        self._in_aside = False
        self._asides.clear()
        self._wait = None
        self._heat_pauses += 1
        log.info("heat during %s.%s: running %s", frame.script.name, frame.step, pause_name)
        self._stack.append(ScriptRun(self._scripts[pause_name], heat_pause=True))
        self._pump()

    def _heat_in_opening(self, ev: HeatAlarm) -> bool:
        """Heat before the script's monitor step, when no voice is left to learn before
        it (voices known from profiles, or enrolment done), is not left for later: the
        opening stops and the monitor step takes the alarm at once, as if it had begun.
        A recording of a fight that starts at once is coached from its first second."""
        if self._enrolling is not None or not self._stack:
            return False
        frame = self._stack[0]
        ids = list(frame.script.steps)
        if frame.step is None or frame.step not in ids:
            return False
        here = ids.index(frame.step)
        monitor = next(
            (i for i in ids[here + 1 :] if frame.script.steps[i].kind == "monitor"), None
        )
        if monitor is None:
            return False
        ahead = ids[here + 1 : ids.index(monitor)]
        unknown = [
            self._name(frame.script.steps[i].who)
            for i in ahead
            if frame.script.steps[i].kind == "enroll"
        ]
        if any(name not in self._voices for name in unknown):
            return False  # a voice still to learn: without it nothing is judged fairly
        log.info("heat during the opening (%s): straight to %s", frame.step, monitor)
        if self._speaking is not None:
            self._emit(StopSpeaking())
            self._speaking = None
        for above in self._stack[1:]:
            if above.gen is not None:
                above.gen.close()
        del self._stack[1:]
        if frame.gen is not None:
            frame.gen.close()
        self._turn = None
        self._listen = None
        self._in_aside = False
        self._asides.clear()
        self._barged_at = None
        self._wait = None
        self._enter(frame, monitor)
        self._pump()
        if isinstance(self._wait, WaitHeat):
            self._pump(ev)
        return True

    # ------------------------------------------------------------ driving the steps

    def _pump(self, value: Any = None) -> None:
        """Run the top script's step until it waits for something."""
        for _ in range(10_000):
            if self._finished or self._stopping is not None or not self._stack:
                return
            frame = self._stack[-1]
            if frame.gen is None:
                if frame.interrupted:
                    frame.interrupted = False
                    if self._heat_pauses > self.settings.max_heat_pauses:
                        frame.gen = self._too_heated()
                    else:
                        frame.gen = self._resume(frame)
                else:
                    self._enter(frame, frame.script.first)
                value = None
                continue
            try:
                wait = frame.gen.send(value)
            except StopIteration as stop:
                target = stop.value
            except Finish as fin:
                target = End(fin.result)
            else:
                self._wait = wait
                if isinstance(wait, WaitScript):
                    value = None  # the step pushed a script: start it
                    continue
                if isinstance(wait, WaitTurn):
                    self._begin_turn(wait)
                return
            value = None
            if isinstance(target, End) or target is None:
                self._pump_result(target or End("done"), pump=False)
                if self._stack and not self._finished:
                    top = self._stack[-1]
                    value = self._last_result if not top.interrupted else None
                continue
            self._enter(frame, target)
        self._end("the script never waited (a loop without a turn?)")

    def _pump_result(self, end: End, pump: bool = True) -> None:
        """The top script ended with ``end.result``: pop it and tell its caller."""
        result = end.result
        while True:
            frame = self._stack.pop()
            if frame.gen is not None:
                frame.gen.close()
            log.info("script %s ended: %s", frame.script.name, result)
            if self._help_shown:
                self._end(self._help_reason())  # help was shown: never an exercise afterwards
                return
            if not self._stack:
                self._end(result)
                return
            parent = self._stack[-1]
            if parent.interrupted and result == "stop":
                continue  # the pause said stop: the interrupted exercise ends too
            break
        self._last_result = result
        self._wait = None
        if pump:
            self._pump(None if parent.interrupted else result)

    def _enter(self, frame: ScriptRun, step_id: str) -> None:
        step = frame.script.steps[step_id]
        if self._help_shown and step.kind not in ("say", "help", "end"):
            self._end(self._help_reason())
            return
        frame.visits[step_id] += 1
        if frame.visits[step_id] > _MAX_VISITS:
            self._end(f"step {frame.script.name}.{step_id} repeated too often")
            return
        frame.step = step_id
        self._emit(EnterStep(frame.script.name, step_id))
        frame.gen = self._step(frame, step)

    # ------------------------------------------------------------ turn-taking

    def _begin_turn(self, wait: WaitTurn) -> None:
        turn = Turn(
            wait.speaker,
            wait.step,
            self.t,
            wait.max_s,
            wait.end_s,
            quiet_from=self.t,
            expects=wait.expects,
        )
        self._reopen = None
        if self._seed is not None and self._seed[0] == wait.speaker:
            turn.add(wait.speaker, self._seed[1], self.t)
        self._seed = None
        # Words that arrived while the coach was still speaking belong to this turn.
        for ev in self._early:
            who = self._who(ev.speaker, wait.speaker)
            if turn.owns(who) and answers.heard_anything(ev.text):
                turn.add(who, ev.text, ev.end)
        self._early.clear()
        turn.talking = wait.speaker in self._talking or (
            wait.speaker == BOTH and any(w in self._talking for w in self.partners)
        )
        self._turn = turn

    def _check_turn(self) -> None:
        turn = self._turn
        assert turn is not None
        decision = turn.decide(self.t, self._talking, self.settings)
        if isinstance(decision, HoldFloor):
            line = prompts.HOLD_FLOOR.format(floor=decision.floor, other=decision.other)
            self._aside(Say("engine.hold_floor", line, decision.other, self._rate))
        elif isinstance(decision, TurnOver):
            self._finish_turn(decision.text, decision.noise)

    def _finish_turn(self, text: str, noise: bool = False) -> None:
        turn = self._turn
        assert turn is not None
        self._turn = None
        self._last_by = turn.by or (turn.speaker if turn.speaker != BOTH else UNKNOWN)
        log.debug("turn of %s ended: %r", turn.speaker, text)
        self._pump((text, noise))

    # ------------------------------------------------------------ small helpers

    def _aside(self, say: Say) -> None:
        """An engine line outside the script (hold the floor, repeat, ...), never over speech.

        Queued until the coach is silent and, during a turn, until the floor holder pauses.
        """
        if self._speaking is not None and not self._in_aside:
            log.debug("aside %s dropped: a prompt is playing", say.id)
            return
        self._asides.append(say)
        self._flush_asides()

    def _flush_asides(self) -> bool:
        """Speak the next queued aside if now is a good moment; True if it did."""
        if not self._asides or self._speaking is not None:
            return False
        turn = self._turn
        if turn is not None and not turn.quiet(self.t):
            return False
        self._speak(self._asides.pop(0))
        self._in_aside = True
        return True

    def _speak(self, say: Say) -> None:
        """Emit a line and wait for its SayDone before speaking or listening again."""
        self._emit(say)
        self._speaking = say.id
        self._said_at = self.t
        # Generous: a slow voice reads ~8 characters a second; then stop waiting.
        self._said_max = 20.0 + len(say.text) / 8.0 / max(say.rate, 0.1)

    def _can_pause(self) -> bool:
        return any(f.script.on_heat for f in self._stack) and not any(
            f.heat_pause for f in self._stack
        )

    def _pause_script(self) -> str:
        for f in reversed(self._stack):
            if f.script.on_heat:
                return f.script.on_heat
        return "pause"

    def _condition(self, cond: str) -> bool:
        if cond == "mirror_missed":
            return missed_most(
                self._vars.get("sender_said", ""), self._vars.get("receiver_said", "")
            )
        if cond == "first_round":
            return self._vars["round"] == "1"
        if cond == "second_round":
            return self._vars["round"] == "2"
        raise ScriptError(f"unknown condition {cond!r}")  # checked at load

    def _name(self, role: str | None) -> str:
        return {
            "sender": self._sender,
            "receiver": self._receiver,
            "partner1": self.partners[0],
            "partner2": self.partners[1],
            None: "",
        }.get(role, role or "")

    def _who(self, speaker: str, floor: str | None = None) -> str:
        """Resolve a voice the engine can't name ("unknown", or a label like "speaker1"
        when nobody enrolled): while listening to X, it counts as X."""
        if speaker in self.partners:
            return speaker
        floor = floor or (self._turn.speaker if self._turn else None)
        return floor if floor and floor != BOTH else UNKNOWN

    def _render(self, text: str, to: str = "") -> str:
        values = {
            "partner1": self.partners[0],
            "partner2": self.partners[1],
            "sender": self._sender,
            "receiver": self._receiver,
            "to": to,
            "duration": self._vars.get("duration", ""),
            **self._vars,
        }
        return " ".join(text.format_map(_Blank(values)).split())

    @staticmethod
    def _pid(frame: ScriptRun, step: Step) -> str:
        return f"{frame.script.name}.{step.id}"

    def _close_all(self) -> None:
        for frame in self._stack:
            if frame.gen is not None:
                frame.gen.close()
        self._stack.clear()
        self._wait = None
        self._turn = None
        self._listen = None
        self._asides.clear()
        self._in_aside = False

    def _end(self, reason: str) -> None:
        if self._finished:
            return
        self._close_all()
        self._emit(EndSession(reason))
        self._finished = True
        log.info("session ends: %s", reason)

    def _emit(self, action: Action) -> None:
        self._out.append(action)

    def _take(self) -> list[Action]:
        out, self._out = self._out, []
        return out


class _Blank(dict[str, str]):
    """format_map values: a variable with nothing in it yet reads as empty text."""

    def __missing__(self, key: str) -> str:
        return ""
