"""Language cues: the words that mark criticism and contempt, as supporting evidence.

Gottman's research names criticism ("you always…", "you never…", "what's wrong with you")
and contempt (insults, mockery, "whatever") as what predicts a conversation going badly;
defensiveness ("it's not my fault", "what about you") often answers them. Found in the
transcripts the pipeline already makes. A cue is only evidence: one phrase never sounds
an alarm by itself, it makes the voice detectors readier (see `CueTracker`).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

_PATTERNS: dict[str, tuple[str, ...]] = {
    # A complaint about the person, not about a situation.
    "criticism": (
        r"\byou (always|never|constantly|keep)\b",
        r"\bwhy (do|can't|won't|don't) you (ever|always|never)\b",
        r"\bwhat(?:'s| is) wrong with you\b",
        r"\byou(?:'re| are) (so|always|never|just) "
        r"(selfish|lazy|useless|careless|inconsiderate|impossible|irresponsible)\b",
        r"\byou don't even (care|try|listen)\b",
        r"\byou (just )?(don't|do not|never) listen\b",
    ),
    # Superiority and disgust: insults, mockery, eye-rolling words.
    "contempt": (
        r"\byou(?:'re| are)( such)? (an? )?(idiot|stupid|pathetic|ridiculous|joke|loser|"
        r"disgusting|child|baby|moron|liar)\b",
        r"\b(pathetic|grow up|give me a break|oh please|get a life|big deal)\b",
        r"^\s*whatever\b",
        r"\bwho cares\b",
        r"\bshut up\b",
    ),
    # Warding off a complaint instead of hearing it.
    "defensiveness": (
        r"\b(it's|it is) not my fault\b",
        r"\bwhat about (you|when you)\b",
        r"\byou(?:'re| are) the one who\b",
        r"\bi (didn't|did not) do anything\b",
        r"\bthat(?:'s| is) not (true|fair)\b",
    ),
}

_COMPILED = tuple(
    (kind, re.compile(p, re.IGNORECASE)) for kind, ps in _PATTERNS.items() for p in ps
)


@dataclass(frozen=True)
class Cue:
    t: float  # s, media time the words were known (end of the utterance)
    speaker: str
    kind: str  # "criticism" | "contempt" | "defensiveness"
    phrase: str  # the words that matched


def find_cues(text: str, *, t: float = 0.0, speaker: str = "unknown") -> list[Cue]:
    """Every cue in one transcribed utterance (one per kind at most)."""
    cues: dict[str, Cue] = {}
    for kind, pattern in _COMPILED:
        m = pattern.search(text)
        if m and kind not in cues:
            cues[kind] = Cue(t=t, speaker=speaker, kind=kind, phrase=m.group(0).strip())
    return list(cues.values())


class CueTracker:
    """How ready the detectors should be, from the cues of the last ``window_s`` seconds.

    ``readiness`` is 0 with fewer than two cues in the window (one phrase never counts),
    and grows with more, to at most ``max_readiness``: the fraction by which a voice
    detector may lower its threshold.
    """

    def __init__(self, window_s: float = 45.0, max_readiness: float = 0.3) -> None:
        self.window_s = window_s
        self.max_readiness = max_readiness
        self._cues: deque[Cue] = deque()

    def add(self, cue: Cue) -> None:
        self._cues.append(cue)

    def readiness(self, t: float) -> float:
        while self._cues and self._cues[0].t < t - self.window_s:
            self._cues.popleft()
        n = len(self._cues)
        if n < 2:
            return 0.0
        return min(self.max_readiness, 0.1 * (n - 1))
