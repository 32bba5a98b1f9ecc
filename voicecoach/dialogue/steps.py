"""What each kind of script step does: ``say``, ``ask``, ``listen``, ``timer``,
``breathe``, ``run``, ``monitor``, ``help`` ... as generators that yield what they wait for
(`waits`).

`Steps` is mixed into `voicecoach.dialogue.engine.Engine`, which owns the state these read
and write (declared below) and feeds the generators its events; the events that can come
at any moment (danger words, commands, heat) stay with the engine, above the steps.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from voicecoach.dialogue import answers, prompts
from voicecoach.dialogue.floor import BOTH
from voicecoach.dialogue.helpinfo import help_text, spoken_help
from voicecoach.dialogue.protocol import (
    Action,
    EnterStep,
    HeatAlarm,
    Listen,
    PartnerSaid,
    SafetyAnswer,
    Say,
    Show,
    VoiceChecked,
)
from voicecoach.dialogue.script import Script, ScriptError, Step
from voicecoach.dialogue.settings import Settings
from voicecoach.dialogue.waits import (
    End,
    Finish,
    Reopen,
    ScriptRun,
    StepGen,
    Wait,
    WaitHeat,
    WaitSay,
    WaitScript,
    WaitTurn,
    WaitUntil,
)

log = logging.getLogger(__name__)

REOPEN_S = 2.0  # the sender resumes this soon after we took their turn as over: it was not


class Steps:
    """The step bodies of `Engine` (see the module docstring)."""

    # Engine state the steps use (set in Engine.__init__).
    partners: tuple[str, str]
    settings: Settings
    t: float
    _scripts: dict[str, Script]
    _stack: list[ScriptRun]
    _vars: dict[str, str]
    _sender: str
    _receiver: str
    _listen: Listen | None
    _reopen: Reopen | None
    _rate: float
    _last_prompt: Say | None
    _last_by: str
    _help_shown: bool
    _cut: str | None  # id of the last line a partner talked over (its SayDone interrupted)
    _answers: list[str]  # every safety answer given, in order
    _early: list[PartnerSaid]
    _voices: set[str]
    _enrolling: str | None
    _voice_check: dict[str, VoiceChecked]
    _missing: list[str]
    # ... and its methods, which other parts of the engine share (declared for the type
    # checker only: Engine defines them).
    if TYPE_CHECKING:

        def _emit(self, action: Action) -> None: ...
        def _speak(self, say: Say) -> None: ...
        def _render(self, text: str, to: str = "") -> str: ...
        def _name(self, role: str | None) -> str: ...
        @staticmethod
        def _pid(frame: ScriptRun, step: Step) -> str: ...
        def _can_pause(self) -> bool: ...
        def _pause_script(self) -> str: ...
        def _condition(self, cond: str) -> bool: ...

    def _too_heated(self) -> StepGen:
        """Heat keeps coming back: going on would only repeat the pause. Stop kindly."""
        yield from self._say("engine.too_heated", prompts.TOO_HEATED)
        raise Finish("stop")

    def _resume(self, frame: ScriptRun) -> StepGen:
        assert frame.step is not None
        script = frame.script
        step = script.steps[frame.step]
        # Resume at the prompt of a listen step, so the partner knows what to do again.
        ids = list(script.steps)
        i = ids.index(step.id)
        if step.kind == "listen" and i > 0:
            prev = script.steps[ids[i - 1]]
            if prev.kind == "say" and script.default_next(prev) == step.id:
                step = prev
        yield from self._say("engine.resume", prompts.RESUME)
        frame.step = step.id
        self._emit(EnterStep(script.name, step.id))
        return (yield from self._step(frame, step))

    def _step(self, frame: ScriptRun, step: Step) -> StepGen:
        kind = step.kind
        script = frame.script
        pid = self._pid(frame, step)
        nxt = script.default_next(step)
        if kind == "say":
            text, to = self._render(step.text or ""), self._name(step.to) or None
            yield from self._say(pid, text, to)
            if step.must_hear and self._cut == pid:
                # A partner talked over a line everyone must hear (the welcome, the "not
                # therapy" notice): say it again, once, and this time in full.
                log.info("%s was cut off: saying it again, in full", pid)
                yield from self._say(pid, text, to, firm=True)
            return nxt
        if kind == "ask":
            return (yield from self._ask(frame, step))
        if kind == "listen":
            name = self._name(step.who)
            text = yield from self._hear(pid, name, step.max_s or 90.0, self.settings.message_end_s)
            if text:
                self._reopen = Reopen(frame, step.id, name, text, self.t + REOPEN_S)
            assert step.who is not None
            self._vars[f"{step.who}_said"] = text
            self._vars["said"] = text
            return nxt
        if kind == "branch":
            return step.then if self._condition(step.cond or "") else step.otherwise
        if kind == "loop":
            return (yield from self._loop(frame, step))
        if kind == "swap":
            self._sender, self._receiver = self._receiver, self._sender
            self._vars["round"] = str(int(self._vars["round"]) + 1)
            for role in ("sender", "receiver"):
                self._vars.pop(f"{role}_said", None)
            log.info("swap: %s sends, %s receives", self._sender, self._receiver)
            if step.text:
                yield from self._say(pid, self._render(step.text))
            return nxt
        if kind == "timer":
            return (yield from self._timer(pid, step, nxt))
        if kind == "breathe":
            yield from self._breathe(pid, step)
            return nxt
        if kind == "run":
            assert step.script is not None
            self._stack.append(ScriptRun(self._scripts[step.script]))
            result = yield WaitScript()
            if result in step.on:
                return step.on[result]
            if result == "stop":
                raise Finish("stop")
            return nxt
        if kind == "end":
            return End(step.result)
        if kind == "enroll":
            name = self._name(step.who)
            if name in self._voices:
                log.info("%s's voice is known already: no spoken enrolment", name)
                return nxt
            yield from self._enrol(pid, step, name)
            return nxt
        if kind == "monitor":
            until = self.t + step.max_s if step.max_s else None
            self._listen = Listen(BOTH, pid, step.max_s or 24 * 3600.0)
            self._emit(self._listen)
            heat = yield WaitHeat(until)
            self._listen = None
            # Sent a HeatAlarm when heat (or a request for a dialogue) came, else None.
            if isinstance(heat, HeatAlarm) and heat.kind == "request" and "request" in step.on:
                return step.on["request"]  # asked for a dialogue: no pause needed
            return nxt
        if kind == "help":
            text = help_text(self.settings.help_country, self.settings.help_text)
            self._emit(Show(text, kind="help"))
            self._help_shown = True
            if self.settings.speak_help:
                spoken = spoken_help(self.settings.help_country, self.settings.help_text)
                yield from self._say(pid, spoken)
            return nxt
        raise ScriptError(f"step kind {kind!r} is not implemented")  # checked at load

    # ------------------------------------------------------------ step helpers

    def _say(
        self, pid: str, text: str, to: str | None = None, firm: bool = False
    ) -> Generator[Wait, Any, None]:
        say = Say(pid, text, to, self._rate, firm)
        self._cut = None
        self._speak(say)
        if not pid.startswith("engine."):
            self._last_prompt = say  # "repeat that" repeats the script, not our asides
        self._early.clear()
        yield WaitSay(pid)

    def _hear(
        self,
        pid: str,
        name: str,
        max_s: float,
        end_s: float,
        enroll: bool = False,
        expects: str = "message",
    ) -> Generator[Wait, Any, str]:
        """A partner's turn; a long silence gets a re-prompt, then an offer to pause."""
        silences = 0
        while True:
            self._listen = Listen(name, pid, max_s, enroll)
            self._emit(self._listen)
            text, noise = yield WaitTurn(name, pid, max_s, end_s, expects)
            self._listen = None
            if answers.heard_anything(text):
                return str(text)
            if noise:
                return ""  # they spoke but no words came through: the caller asks again
            silences += 1
            who = name if name != BOTH else " and ".join(self.partners)
            if silences == 1:
                yield from self._say(
                    "engine.reprompt",
                    prompts.REPROMPT.format(name=who),
                    None if name == BOTH else name,
                )
                continue
            if silences == 2 and self._can_pause() and not enroll:
                q = prompts.OFFER_PAUSE.format(name=who)
                yield from self._say("engine.offer_pause", q, None if name == BOTH else name)
                self._listen = Listen(name, "engine.offer_pause", 30.0)
                self._emit(self._listen)
                reply, _ = yield WaitTurn(
                    name, "engine.offer_pause", 30.0, self.settings.turn_end_s, "yesno"
                )
                self._listen = None
                if answers.yes_no(reply) == "yes":
                    pause = self._pause_script()
                    self._stack.append(ScriptRun(self._scripts[pause], heat_pause=True))
                    result = yield WaitScript()
                    if result == "stop":
                        raise Finish("stop")
                    silences = 0
                    continue
            return ""

    def _enrol(self, pid: str, step: Step, name: str) -> Generator[Wait, Any, None]:
        """Learn ``name``'s voice: ask, and ask again by name, kindly, saying what went
        wrong (at most twice), while the session's check refuses what it heard; then go
        on and say whose voice is missing (the session keeps learning it from the talk)."""
        self._enrolling = name
        try:
            # A verdict is dropped before each request, not after it: an answer that
            # starts while the coach is asking is checked before the turn opens.
            self._voice_check.pop(name, None)
            yield from self._say(pid, self._render(step.text or "", to=name), name)
            for attempt in range(3):
                # An introduction is several sentences with pauses: wait as for a message.
                yield from self._hear(
                    pid, name, step.max_s or 20.0, self.settings.message_end_s, enroll=True
                )
                if name in self._voices:
                    return
                check = self._voice_check.get(name)
                if check is None or attempt == 2:
                    break  # nothing heard at all (twice silent), or asked enough
                again = prompts.ENROL_AGAIN
                line = again.get(check.reason, again["too_little"])
                self._voice_check.pop(name, None)
                yield from self._say(pid, line.format(name=name, like=check.like or ""), name)
        finally:
            self._enrolling = None
        log.info("%s's voice was not learnt at enrolment", name)
        self._missing.append(name)
        yield from self._say(pid, prompts.VOICE_MISSING.format(name=name))
        self._emit(Show(prompts.VOICE_MISSING_SHOWN.format(name=name)))

    def _asked(self, step: Step) -> list[str]:
        """Who an ask step asks, in order (BOTH: whoever answers first)."""
        if step.to == "each":
            return list(self.partners)
        if step.to == "either":
            return [BOTH]
        return [self._name(step.to)]

    def _ask(self, frame: ScriptRun, step: Step) -> Generator[Wait, Any, str | None]:
        got: list[str] = []
        for name in self._asked(step):
            answer, by = yield from self._ask_one(frame, step, name)
            got.append(answer)
            if step.safety:
                self._answers.append(answer)
                self._emit(SafetyAnswer(by, answer))
            if step.safety and answer == "no":
                break  # someone is not safe: no need to ask further
        if step.expect == "yesno":
            answer = "no" if "no" in got else "unsure" if "unsure" in got else "yes"
        else:
            answer = got[0]
        log.info("%s: answer %s", self._pid(frame, step), answer)
        target = step.on.get(answer) or step.on.get("any")
        return target or frame.script.default_next(step)

    def _ask_one(
        self, frame: ScriptRun, step: Step, name: str
    ) -> Generator[Wait, Any, tuple[str, str]]:
        pid = self._pid(frame, step)
        to = None if name == BOTH else name
        question = self._render(step.text or "", to=to or "")
        yield from self._say(pid, question, to)
        for attempt in range(3):
            reply = yield from self._hear(
                pid,
                name,
                step.max_s or 30.0,
                self.settings.turn_end_s,
                expects=step.expect or "free",
            )
            by = self._last_by if name == BOTH else name
            answer = self._understand(step, reply)
            if answer is not None:
                if step.expect == "free":
                    self._vars["said"] = reply
                return answer, by
            if attempt == 0:
                line = prompts.NOT_CAUGHT.format(question=question)
            elif step.simpler:
                line = self._render(step.simpler, to=to or "")
            elif step.expect == "choice":
                line = prompts.SIMPLER_CHOICE.format(options=" or ".join(step.choices))
            else:
                line = prompts.SIMPLER_YESNO.format(name=to or "Either of you")
            if attempt < 2:
                yield from self._say(pid, line, to)
        # Still unclear after a simpler question: a doubt, never a yes.
        return ("unsure" if step.expect != "free" else "any"), name

    def _understand(self, step: Step, reply: str) -> str | None:
        if step.expect == "yesno":
            return answers.yes_no(reply)
        if step.expect == "choice":
            return answers.choice(reply, step.choices)
        return "any" if answers.heard_anything(reply) else None

    def _loop(self, frame: ScriptRun, step: Step) -> Generator[Wait, Any, str | None]:
        frame.loops[step.id] += 1
        if frame.loops[step.id] > step.max_rounds:
            frame.loops[step.id] = 0
            return step.exit
        name = self._name(step.to)
        fake = Step(
            id=step.id, kind="ask", line=step.line, text=step.text, to=step.to, expect="yesno"
        )
        answer, _ = yield from self._ask_one(frame, fake, name)
        if answer == "yes":
            return step.repeat
        frame.loops[step.id] = 0
        return step.exit

    def _timer(self, pid: str, step: Step, nxt: str | None) -> Generator[Wait, Any, str | None]:
        length = self.settings.timeout_s if step.length == "timeout" else float(step.length or 0)
        self._vars["duration"] = _duration(length)
        if step.text:
            yield from self._say(pid, self._render(step.text))
        # Always on screen: people apart in a timeout need to see how long it lasts.
        shown = self._render(step.show) if step.show else "Timeout"
        self._emit(Show(f"{shown} ({_duration(length)})", kind="timer"))
        yield WaitUntil(self.t + length)
        yield from self._say(pid, self._render(step.checkin or ""))
        return nxt

    def _breathe(self, pid: str, step: Step) -> Generator[Wait, Any, None]:
        if step.text:
            yield from self._say(pid, self._render(step.text))
        in_s = step.in_s or self.settings.breathe_in_s
        out_s = step.out_s or self.settings.breathe_out_s
        for _ in range(step.cycles):
            # Paced on media time from when each cue starts, however long it takes to say.
            for cue, length in ((prompts.BREATHE_IN, in_s), (prompts.BREATHE_OUT, out_s)):
                began = self.t
                yield from self._say(pid, cue)
                if self.t < began + length:
                    yield WaitUntil(began + length)


def _duration(seconds: float) -> str:
    if seconds < 90:
        n = max(1, round(seconds))
        return f"{n} second" + ("s" if n != 1 else "")
    n = round(seconds / 60)
    return f"{n} minute" + ("s" if n != 1 else "")
