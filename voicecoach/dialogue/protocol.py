"""The dialogue engine's contract: events in, actions out, all on media time.

The engine imports no audio code. The session turns what the pipeline hears into these
inputs and carries out the actions (speak, show, log). Times are seconds of media time.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- inputs (to the engine)


@dataclass(frozen=True)
class Tick:
    """Media time advanced to ``t`` (sent once per audio frame); drives timers and silence."""

    t: float


@dataclass(frozen=True)
class SpeechStarted:
    """A partner started talking at ``t`` (``speaker`` may be "unknown")."""

    t: float
    speaker: str


@dataclass(frozen=True)
class PartnerSaid:
    """A partner's utterance, transcribed. ``t`` is when the pipeline knew it had ended."""

    t: float
    speaker: str  # partner name or "unknown"
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class HeatAlarm:
    """A detector fired: ``kind`` is "raised_voice" or "interruption" (or "pause_command",
    "request": a partner asked for a pause or a guided dialogue)."""

    t: float
    kind: str
    speaker: str
    score: float
    by: str | None = None  # interruption: who cut in
    onset: float | None = None  # s: where the heat began (the raised stretch, the cut-in)


@dataclass(frozen=True)
class SayDone:
    """The coach finished prompt ``id`` (``interrupted``: a partner barged in and it stopped)."""

    t: float
    id: str
    interrupted: bool = False


@dataclass(frozen=True)
class KeyPressed:
    """A key pressed in the terminal (the quiet way out: any key ends the exercise)."""

    t: float
    key: str


@dataclass(frozen=True)
class VoiceChecked:
    """The session checked what it heard as ``speaker``'s enrolment answer (or, for a voice
    still missing, speech in the conversation): ``learned`` it, or not and why.

    ``reason``: "ok", "too_little", "not_speech", "two_voices", "echo", "same_voice"
    (`voicecoach.perception.enrolcheck`); ``like``: whose voice it sounded like."""

    t: float
    speaker: str
    learned: bool
    reason: str = "ok"
    like: str | None = None


EngineInput = Tick | SpeechStarted | PartnerSaid | HeatAlarm | SayDone | KeyPressed | VoiceChecked

# ---------------------------------------------------------------- actions (from the engine)


@dataclass(frozen=True)
class Say:
    """Speak ``text``. The session answers with SayDone when the audio has played."""

    id: str  # stable prompt id, "<script>.<step>" (e.g. "pause.safety")
    text: str
    to: str | None = None  # partner addressed, if any
    rate: float = 1.0  # speaking-rate multiplier (<1 slower: the "slower" voice command)
    firm: bool = False  # said in full even if a partner talks over it (no barge-in)


@dataclass(frozen=True)
class Listen:
    """The floor is ``speaker``'s: wait for their turn (up to ``max_s`` seconds).

    ``enroll`` asks the session to learn this partner's voice and calm baseline from it.
    ``step`` names the script step, so a simulated partner knows what is being asked.
    """

    speaker: str
    step: str
    max_s: float = 60.0
    enroll: bool = False


@dataclass(frozen=True)
class Show:
    """Show ``text`` on screen (help information is shown, never read aloud by default)."""

    text: str
    kind: str = "info"  # "info" | "help" | "timer"


@dataclass(frozen=True)
class EnterStep:
    """A script step was entered (logged as a ``step`` event)."""

    script: str
    step: str


@dataclass(frozen=True)
class SafetyAnswer:
    """A partner answered the safety question (logged as a ``safety`` event)."""

    speaker: str
    answer: str  # "yes" | "no" | "unsure"


@dataclass(frozen=True)
class StopSpeaking:
    """Stop the coach's current prompt now (e.g. the partner barged in)."""


@dataclass(frozen=True)
class EndSession:
    reason: str


Action = Say | Listen | Show | EnterStep | SafetyAnswer | StopSpeaking | EndSession
