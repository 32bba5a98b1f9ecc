"""The coach's prompts as audio: synthesized once, streamed sentence by sentence.

The session asks for a prompt when the engine says it; the cache makes sure the urgent
ones (the pause, the safety question) cost no synthesis time then, and that any other
prompt starts playing after its first sentence is made, not the whole of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np


class Voice(Protocol):
    """The coach's synthesizer (`voicecoach.speech.tts.PiperSpeaker`)."""

    length_scale: float
    """The voice's pace (> 1 is slower); a slower prompt divides it by its rate."""

    by_sentence: bool
    """True: a prompt is made sentence by sentence, so its first sentence can be made
    ahead and play while the rest is synthesized (Piper). False: each prompt in one call
    at the voice's own pace (a stand-in whose prompts all last the same)."""

    def synthesize(self, text: str, *, length_scale: float | None = None) -> Iterator[np.ndarray]:
        """``text`` as 16 kHz mono float32 chunks, as soon as each is ready."""
        ...


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def first_sentence(text: str) -> tuple[str, str]:
    """``text`` split after its first sentence: (first, rest); rest may be ""."""
    parts = _SENTENCE_END.split(text.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


class PromptCache:
    """The coach's prompts as audio, synthesized once.

    Prompts that must start at once (the pause and the safety question) are rendered
    before the session starts, so speaking them costs no synthesis time. Any other prompt
    is streamed: its first sentence, then the rest sentence by sentence, so the first can
    play while the rest is still being synthesized. First sentences of the prompts that
    may come next are made ahead (``prepare_first``) while a partner answers, so the
    coach's reply starts without waiting for the synthesizer. A prompt is always made
    the same way (first sentence, then the rest), ahead or not: same text, same samples.
    """

    def __init__(self, voice: Voice) -> None:
        self.voice = voice
        self._audio: dict[tuple[str, float], np.ndarray] = {}
        self._first: dict[tuple[str, float], np.ndarray] = {}  # first sentences made ahead

    def prepare(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.get(text)

    def prepare_first(self, texts: Iterable[str], rate: float = 1.0) -> int:
        """Synthesize the first sentence of each of ``texts`` not yet made; how many were."""
        if not self.voice.by_sentence:
            return 0  # a voice that makes whole prompts has no openings to make
        made = 0
        for text in texts:
            first, _ = first_sentence(text)
            key = (first, rate)
            if (text, rate) in self._audio or key in self._first or not first:
                continue
            self._first[key] = self._synth(first, rate)
            made += 1
        return made

    def get(self, text: str, rate: float = 1.0) -> np.ndarray:
        key = (text, rate)
        if key not in self._audio:
            pieces = list(self.stream(text, rate))
            self._audio[key] = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return self._audio[key]

    def stream(self, text: str, rate: float = 1.0) -> Iterator[np.ndarray]:
        """The prompt's audio in pieces, as soon as each is ready.

        ``rate`` below 1 speaks more slowly (the "slower" voice command).
        """
        key = (text, rate)
        if key in self._audio:
            yield self._audio[key]
            return
        if not self.voice.by_sentence:
            pieces = [np.asarray(p, dtype=np.float32) for p in self.voice.synthesize(text)]
            self._audio[key] = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
            yield self._audio[key]
            return
        first, rest = first_sentence(text)
        head = self._first.get((first, rate))
        if head is None:
            head = self._first[(first, rate)] = self._synth(first, rate)
        pieces = [head]
        yield head
        for chunk in self._chunks(rest, rate) if rest else ():
            pieces.append(chunk)
            yield chunk
        self._audio[key] = np.concatenate(pieces)

    def _chunks(self, text: str, rate: float) -> Iterator[np.ndarray]:
        pace = self.voice.length_scale / rate if rate != 1.0 else None  # None: its own
        for chunk in self.voice.synthesize(text, length_scale=pace):
            yield np.asarray(chunk, dtype=np.float32)

    def _synth(self, text: str, rate: float) -> np.ndarray:
        pieces = list(self._chunks(text, rate))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
