"""Stand-ins for the session's collaborators in fast unit tests.

The Protocols in `voicecoach.session` declare everything the session asks of a listener,
an engine and a voice. A test's stand-in models only what its test is about; these mixins
give it the rest, answering as a listener, engine or voice with nothing to say about it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from voicecoach.perception import types as pt


class ListenerParts:
    """No hangover to shorten, no open pause to speculate on, no baselines, no readiness."""

    def set_hangover(self, seconds: float | None) -> None:
        pass

    def pause(self) -> pt.Pause | None:
        return None

    def baseline(self, name: str) -> tuple[float, float] | None:
        return None

    def set_readiness(self, readiness: float) -> None:
        pass


class EngineParts:
    """Nobody holds the floor, no answer awaited, no heat pending, nothing to make ahead."""

    floor: str | None = None
    awaiting_answer = False
    heat_pending = False
    missing_voices: tuple[str, ...] = ()

    def upcoming_prompts(self) -> list[str]:
        return []

    def urgent_prompts(self) -> list[str]:
        return []


class WholeVoice:
    """A voice that makes each prompt in one piece with ``render`` (a fixed-length tone):
    the prompt cache does not cut its prompts into sentences."""

    by_sentence = False
    length_scale = 1.0

    def render(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def synthesize(self, text: str, *, length_scale: float | None = None) -> Iterator[np.ndarray]:
        yield self.render(text)
