"""Did the mirror catch what the sender said? A count of content words, never a verdict.

The receiver is never told they got it wrong; when most of the sender's content words are
missing, the sender is simply invited to say again the part that matters most.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

_STOP = frozenset(
    "i me my mine you your yours he him his she her it its we us our they them their a an the "
    "and or but so because if then that this these those is am are was were be been being have "
    "has had do does did not no yes to of in on at for with about as by from up down out just "
    "really very when what which who how why there here all any some more most can could would "
    "should will shall may might must get got said say says feel felt like think know want "
    "okay ok well um uh oh also too than into over again only even still such own same".split()
)
_WORDS = re.compile(r"[a-z']+")


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORDS.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _stem(word: str) -> str:
    # Crude on purpose: "worried"/"worry"/"worrying" should meet, nothing more.
    for suffix in ("ing", "ied", "ies", "ed", "es", "ly", "s", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def coverage(sent: str, mirrored: str) -> float:
    """Share (0..1) of the sender's content words that the mirror contains."""
    said = content_words(sent)
    if not said:
        return 1.0
    return len(said & content_words(mirrored)) / len(said)


def missed_most(sent: str, mirrored: str, threshold: float = 0.5) -> bool:
    """True when the mirror misses most (more than half) of the sender's content words."""
    return coverage(sent, mirrored) < threshold
