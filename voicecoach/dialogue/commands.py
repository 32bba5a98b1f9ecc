"""Voice commands: "pause", "stop", "repeat that", "skip", "slower", "help us talk".

Only an utterance that is essentially the command counts: "stop" or "please stop" is a
command, "don't stop talking to me" is a partner speaking and must never be obeyed.
"""

from __future__ import annotations

import logging

from voicecoach.dialogue.answers import clean

log = logging.getLogger(__name__)

_COMMANDS: dict[str, tuple[str, ...]] = {
    "pause": (
        "pause",
        "pause it",
        "pause the exercise",
        "pause for a moment",
        "let's pause",
        "can we pause",
        "we need a pause",
        "pause please",
    ),
    "stop": (
        "stop",
        "stop it",
        "stop the exercise",
        "stop the session",
        "stop now",
        "let's stop",
        "we want to stop",
        "i want to stop",
        "end the session",
        "end the exercise",
        "quit",
        "that's enough",
    ),
    "repeat": (
        "repeat",
        "repeat that",
        "repeat it",
        "say that again",
        "say it again",
        "repeat the question",
        "what was that",
        "come again",
        "pardon",
        "can you repeat that",
        "could you repeat that",
        "one more time",
    ),
    "skip": (
        "skip",
        "skip it",
        "skip that",
        "skip this",
        "skip this step",
        "next",
        "next step",
        "move on",
        "let's move on",
    ),
    # A request for a guided dialogue, e.g. to the smart speaker ("coach, help us talk"):
    # while the coach listens quietly it starts the dialogue without a heated moment.
    "talk": (
        "help us talk",
        "help us talk please",
        "let's do a dialogue",
        "let's do the dialogue",
        "do a dialogue",
        "start a dialogue",
        "start the dialogue",
        "we want to do a dialogue",
        "we'd like to do a dialogue",
        "guide us",
        "help us",
    ),
    "slower": (
        "slower",
        "slow down",
        "speak slower",
        "talk slower",
        "more slowly",
        "speak more slowly",
        "a bit slower",
        "slower please",
    ),
}
_FILLERS = {
    "please",
    "coach",
    "okay",
    "ok",
    "um",
    "uh",
    "hey",
    "so",
    "now",
    "just",
    "can",
    "you",
    "could",
    "would",
    "maybe",
    "thanks",
    "thank",
}


def command(text: str) -> str | None:
    """The command an utterance gives ("pause", "stop", "repeat", "skip", "slower", "talk")
    or None."""
    t = clean(text)
    if not t or len(t.split()) > 7:
        return None
    candidates = {t, " ".join(w for w in t.split() if w not in _FILLERS)}
    for name, phrases in _COMMANDS.items():
        if candidates & set(phrases):
            log.info("voice command %r", name)
            return name
    return None


def addressed(text: str) -> bool:
    """The utterance speaks to the coach or about the session ("coach, stop the session")."""
    words = set(clean(text).split())
    return bool(words & {"coach", "session", "exercise", "voicecoach"})
