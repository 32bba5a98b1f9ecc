"""A simulated room: two partners whose voices reach a virtual microphone.

The room is an AudioSource. It speaks the scenario's opening conversation and, when the
coach gives a partner the floor (a `Listen` action), that partner's answer after a
human reaction time. Partners fall silent when the coach speaks. Everything is placed on
the sample timeline, so the same scenario always produces the same microphone signal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from voicecoach.audio.files import quantize
from voicecoach.demo.scenario import Line, Scenario
from voicecoach.dialogue import protocol as dp
from voicecoach.session import UNINTERRUPTIBLE
from voicecoach.timebase import FRAME_SAMPLES, SAMPLE_RATE

if TYPE_CHECKING:
    from voicecoach.session import Session

log = logging.getLogger(__name__)

FADE = int(0.03 * SAMPLE_RATE)  # samples: a partner stopping mid-word fades, it doesn't click


class PartnerVoice(Protocol):
    def render(self, text: str, *, effort: float = 0.0) -> np.ndarray: ...


def active_level_db(audio: np.ndarray) -> float:
    """Level of the speech in ``audio`` (dBFS RMS over its loud 10 ms frames)."""
    n = len(audio) // 160 * 160
    if n == 0:
        return -120.0
    rms = np.sqrt(np.mean(audio[:n].reshape(-1, 160) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    active = db[db > db.max() - 30]
    return float(10 * np.log10(np.mean(10 ** (active / 10))))


@dataclass
class Clip:
    who: str
    text: str
    kind: str  # "opening" | "answer" | "interject"
    start: int  # sample
    audio: np.ndarray
    effort: float = 0.0
    cut: int | None = None  # sample after which the partner stopped talking

    @property
    def end(self) -> int:
        return (
            self.start + len(self.audio)
            if self.cut is None
            else min(self.cut, self.start + len(self.audio))
        )


class SimulatedRoom:
    """The demo's microphone: partners talking, reacting to the coach on media time."""

    name = "simulated room"

    def __init__(
        self,
        scenario: Scenario,
        voices: Mapping[str, PartnerVoice],
        *,
        levels_db: dict[str, float] | None = None,
    ) -> None:
        self.scenario = scenario
        self.voices = voices
        # Partners differ in how loud they naturally are: each is judged on their own baseline.
        names = list(scenario.partners)
        self.levels_db = levels_db or {names[0]: -24.0, names[1]: -28.0}
        self.clips: list[Clip] = []
        self.n = 0
        self._mic: list[np.ndarray] = []
        self._session: Session | None = None
        self._asked = False  # the coach said something since a partner last got the floor
        self._waiting: list[tuple[str, Line | None]] = []
        self._turns: dict[tuple[str, str], int] = {}
        self._opened = False

    # ------------------------------------------------------------------ wiring

    def attach(self, session: Session) -> None:
        self._session = session
        session.on_action.append(self._on_action)

    def _on_action(self, action: dp.Action, session: Session) -> None:
        if isinstance(action, dp.Say):
            self._asked = True
            self._fall_silent(self.n, everyone=action.id.startswith(UNINTERRUPTIBLE))
        elif isinstance(action, dp.Listen):
            if action.step == self.scenario.opening_on:
                if not self._opened:
                    self._opened = True
                    self._waiting.append(("opening", None))
                return
            if not self._asked:
                return  # the coach gave the floor again without asking anything new
            self._asked = False
            who = action.speaker
            if who not in self.scenario.partners:
                # The floor is open to both ("either of you"): whoever has an answer takes it.
                who = next(
                    (
                        p
                        for p in self.scenario.partners
                        if action.step in self.scenario.answers.get(p, {})
                    ),
                    next(iter(self.scenario.partners)),
                )
            key = (who, action.step)
            turn = self._turns.get(key, 0)
            self._turns[key] = turn + 1
            line = self.scenario.answer(who, action.step, turn)
            if line is None:
                log.warning("scenario has no answer for %s at %s", action.speaker, action.step)
                return
            self._waiting.append(("answer", line))

    def _fall_silent(self, now: int, *, everyone: bool) -> None:
        # The argument stops when the coach speaks: lines not yet begun are dropped, and
        # one under way trails off a moment later. A partner answering the coach goes on
        # (if the coach spoke too soon, that is a barge-in), unless the coach calls a pause.
        stop = now + int(0.25 * SAMPLE_RATE)
        kept = []
        for clip in self.clips:
            if clip.kind == "opening" and clip.start >= now:
                continue
            if (everyone or clip.kind != "answer") and clip.end > stop:
                clip.cut = max(stop, clip.start)
            kept.append(clip)
        self.clips = kept

    # ------------------------------------------------------------------ scheduling

    def _coach_silent(self) -> bool:
        s = self._session
        return s is None or (s.speaking is None and not s._queue)

    def _render(self, line: Line) -> np.ndarray:
        audio = np.asarray(self.voices[line.who].render(line.text, effort=line.effort), np.float32)
        gain_db = self.levels_db[line.who] + line.gain_db - active_level_db(audio)
        return audio * np.float32(10 ** (gain_db / 20))

    def _add(self, line: Line, kind: str, start: int) -> Clip:
        clip = Clip(line.who, line.text, kind, start, self._render(line), line.effort)
        self.clips.append(clip)
        if line.interject is not None:
            self._add(line.interject, "interject", start + int(line.interject.at_s * SAMPLE_RATE))
        return clip

    def _schedule(self) -> None:
        if not self._waiting or not self._coach_silent():
            return
        begin = self.n + int(self.scenario.reaction_s * SAMPLE_RATE)
        for kind, line in self._waiting:
            if kind == "opening":
                cursor = begin
                for op in self.scenario.opening:
                    if op.overlap_s > 0:
                        start = cursor - int(op.overlap_s * SAMPLE_RATE)
                    else:
                        start = cursor + int(op.after_s * SAMPLE_RATE)
                    cursor = self._add(op, "opening", max(start, begin)).end
            elif line is not None:
                self._add(line, "answer", begin)
        self._waiting.clear()

    # ------------------------------------------------------------------ AudioSource

    def chunks(self) -> Iterator[np.ndarray]:
        while True:
            self._schedule()
            a, b = self.n, self.n + FRAME_SAMPLES
            frame = np.zeros(FRAME_SAMPLES, np.float32)
            for clip in self.clips:
                lo, hi = max(a, clip.start), min(b, clip.end)
                if lo >= hi:
                    continue
                piece = clip.audio[lo - clip.start : hi - clip.start].copy()
                if clip.cut is not None and hi > clip.cut - FADE:
                    ramp = np.clip((clip.cut - np.arange(lo, hi)) / FADE, 0.0, 1.0)
                    piece *= ramp.astype(np.float32)
                frame[lo - a : hi - a] += piece
            frame = quantize(frame)
            self._mic.append(frame)
            self.n = b
            yield frame

    def interrupt(self) -> None:
        pass  # simulated: never waits

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ results

    def mic(self) -> np.ndarray:
        """Everything the microphone picked up, 16-bit exact (replayable as a WAV)."""
        return np.concatenate(self._mic) if self._mic else np.zeros(0, np.float32)

    def timeline(self) -> list[dict]:
        """What each partner said when (the demo's ground truth), in seconds."""
        rows = []
        for c in sorted(self.clips, key=lambda c: c.start):
            if c.start >= self.n:
                continue  # scheduled but never reached before the session ended
            rows.append(
                {
                    "who": c.who,
                    "text": c.text,
                    "kind": c.kind,
                    "start": round(c.start / SAMPLE_RATE, 3),
                    "end": round(min(c.end, self.n) / SAMPLE_RATE, 3),
                    "effort": c.effort,
                }
            )
        return rows
