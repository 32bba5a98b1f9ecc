"""Turns stage: the d-vector checks of a suspected change of voice."""

from __future__ import annotations

import numpy as np

from voicecoach.perception.speakers import SpeakerBank, VoiceProfile
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.frames import WINDOW_FRAMES, Frame
from voicecoach.perception.stages.turns import Turns, TurnSettings

ALEX, SAM = np.eye(2)


class _Sam:
    windows_run = 0

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        self.windows_run += len(chunks)
        return np.stack([SAM for _ in chunks])


def _turns(frames: list[Frame]) -> Turns:
    bank = SpeakerBank()
    bank.add(VoiceProfile("alex", ALEX, None, None))
    bank.add(VoiceProfile("sam", SAM, None, None))
    return Turns(bank, WindowEmbeddings(_Sam()), lambda: frames, TurnSettings())  # type: ignore[arg-type]


def _frames(n: int) -> list[Frame]:
    return [
        Frame(i, np.zeros(480, np.float32), -30.0, 120.0, 0.1, -10.0, np.zeros(20), True, 0.0)
        for i in range(n)
    ]


def test_a_change_is_judged_once_its_window_is_heard() -> None:
    frames: list[Frame] = _frames(WINDOW_FRAMES - 1)
    turns = _turns(frames)
    assert turns.verify_change(0, "sam", "alex") is None  # not heard yet
    frames.append(_frames(WINDOW_FRAMES)[-1])
    assert turns.verify_change(0, "sam", "alex") is True  # the window is Sam's
    assert turns.verify_change(0, "alex", "sam") is False  # ... so Alex did not cut in


def test_a_voice_without_a_profile_does_not_block_a_change() -> None:
    turns = _turns(_frames(WINDOW_FRAMES))
    assert turns.window_lean(0, turns.axis("sam", "speaker9")) == float("inf")


def test_the_second_look_waits_for_the_window_past_the_overlap() -> None:
    frames = _frames(WINDOW_FRAMES)
    turns = _turns(frames)
    assert turns.verify_late(0, "sam", "alex") is None
    frames.extend(_frames(2 * WINDOW_FRAMES)[WINDOW_FRAMES:])
    assert turns.verify_late(0, "sam", "alex") is True
