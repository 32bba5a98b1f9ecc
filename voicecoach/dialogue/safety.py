"""Words of danger: violence, fear of the partner, threats, self-harm.

Any of these, from either partner, at any step, stops the couple exercise at once: a
couples exercise is the wrong tool where someone is in danger. We err towards stopping
(a false alarm costs an interrupted exercise; a miss could cost far more), but skip the
plainly negated forms that come up in ordinary repair talk ("I would never hurt you").
"""

from __future__ import annotations

import logging
import re

from voicecoach.dialogue.answers import clean

log = logging.getLogger(__name__)

_P = (
    "(?:me|him|her|them|us|you|the kids|the children|the baby"
    "|my (?:son|daughter|kids|children|baby))"
)

# (category, pattern). Patterns run on `answers.clean` text (lower case, words, apostrophes).
_DANGER: tuple[tuple[str, str], ...] = (
    (
        "violence",
        rf"\b(?:hit|hits|hitting|punch(?:ed|es)?|kick(?:ed|s)?|slap(?:ped|s)?|"
        rf"chok(?:e|ed|es|ing)|strangl(?:e|ed|es|ing)|beat(?:s|ing)?|"
        rf"shov(?:e|ed|es)|push(?:ed|es)?|grab(?:bed|s)?|"
        rf"attack(?:ed|s)?|smack(?:ed|s)?|throttl(?:e|ed)) {_P}\b",
    ),
    ("violence", r"\b(?:he|she|they|you) (?:hit|beat|choked|strangled|attacked)\b"),
    ("violence", r"\b(?:violent|violence|abuse[sd]?|abusive|abusing|bruises?|bleeding)\b"),
    # "It hurt me when you left" is everyday repair talk; only physical hurt counts here.
    ("violence", r"\bhurt (?:me|him|her|you) (?:physically|badly)\b"),
    ("weapon", r"\b(?:gun|knife|weapon|pistol|rifle)s?\b"),
    ("fear", r"\b(?:afraid|scared|frightened|terrified) of (?:him|her|you|them|what (?:he|she))\b"),
    (
        "fear",
        r"\b(?:afraid|scared|terrified) (?:he|she|you)(?:'ll| will| is going to| might) "
        r"(?:hurt|hit|kill|do something)\b",
    ),
    ("fear", r"\b(?:not|don't|dont|do not|never) feel safe\b"),
    ("fear", r"\b(?:i'm|i am|we're|we are) not safe\b"),
    ("fear", r"\bunsafe\b"),
    ("threat", r"\b(?:threaten(?:ed|s|ing)?|threats?)\b"),
    (
        "threat",
        r"\b(?:i'll|i will|i'm going to|i am going to|gonna) "
        r"(?:kill|hurt|hit|destroy|end) (?:you|him|her)\b",
    ),
    ("threat", r"\bkill (?:you|him|her|me|them)\b"),
    (
        "threat",
        r"\b(?:he|she|you)(?:'ll| will| is going to| said he'd| said she'd) "
        r"(?:hurt|kill|hit) (?:me|us|the kids|the children)\b",
    ),
    ("self_harm", r"\b(?:kill|hurt|harm|cut) (?:myself|herself|himself)\b"),
    ("self_harm", r"\b(?:suicide|suicidal|self harm|self-harm)\b"),
    ("self_harm", r"\b(?:want|wanted|going) to die\b"),
    ("self_harm", r"\bend (?:my|it all|my life)\b"),
    ("self_harm", r"\b(?:don't|do not) want to (?:live|be alive|be here anymore)\b"),
)
_COMPILED = tuple((cat, re.compile(p)) for cat, p in _DANGER)

# Negations that make a match harmless when they come just before it.
_NEGATED = re.compile(
    r"\b(?:never|would never|will never|wouldn't|wouldnt|won't|wont|didn't|didnt|did not|"
    r"don't|dont|do not|not|"
    r"no one|nobody)\s+(?:\w+\s+){0,2}$"
)
# Categories whose patterns already contain their negation ("not safe") are never skipped.
_NEGATION_IS_THE_POINT = {"fear"}


def danger(text: str) -> str | None:
    """The category of danger in ``text`` ("violence", "weapon", "fear", "threat",
    "self_harm"), or None."""
    t = clean(text)
    if not t:
        return None
    for category, rx in _COMPILED:
        for m in rx.finditer(t):
            before = t[: m.start()]
            if category not in _NEGATION_IS_THE_POINT and _NEGATED.search(before):
                continue
            log.info("danger words (%s) heard", category)
            return category
    return None
