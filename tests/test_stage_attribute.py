"""Attribute stage: naming runs of frames; never a name from too little or no evidence."""

from __future__ import annotations

import numpy as np

from voicecoach.perception.speakers import SpeakerBank, VoiceProfile
from voicecoach.perception.stages.attribute import AttributeSettings, Attributor, relative_ll
from voicecoach.perception.stages.embed import WindowEmbeddings
from voicecoach.perception.stages.frames import Frame
from voicecoach.perception.types import UNKNOWN

ALEX, SAM = np.eye(2)


class _Alex:
    windows_run = 0

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        self.windows_run += len(chunks)
        return np.stack([ALEX for _ in chunks])


def _frames(n: int) -> list[Frame]:
    return [
        Frame(i, np.zeros(480, np.float32), -30.0, 120.0, 0.1, -10.0, np.zeros(20), True, 0.0)
        for i in range(n)
    ]


def _attributor() -> Attributor:
    bank = SpeakerBank()
    # Profiles without a frame model: an enrolment of under 0.9 s of speech.
    bank.add(VoiceProfile("alex", ALEX, None, None))
    bank.add(VoiceProfile("sam", SAM, None, None))
    return Attributor(bank, WindowEmbeddings(_Alex()), AttributeSettings())  # type: ignore[arg-type]


def test_no_frames_or_no_frame_models_give_no_verdict() -> None:
    assert relative_ll({}) == {}
    assert relative_ll({"a": np.zeros(0), "b": np.zeros(0)}) == {"a": 0.0, "b": 0.0}


def test_voices_without_frame_models_are_named_on_the_d_vector_alone() -> None:
    # Two partners enrolled on too little speech for a frame model: the d-vector still
    # names them, whatever the length (this once raised in `relative_ll`).
    att = _attributor()
    assert att.attribute(_frames(60), max_windows=2) == "alex"
    assert att.running(_frames(28)) == "alex"
    assert att.frame_verdict(_frames(28)) is None
    assert att.guess(_frames(10)) == UNKNOWN


def test_too_little_speech_is_nobody_and_a_single_voice_takes_all() -> None:
    att = _attributor()
    assert att.attribute(_frames(5), max_windows=2) == UNKNOWN
    att.single = "sam"
    assert att.attribute(_frames(5), max_windows=2) == "sam"


def test_auto_names_count_up() -> None:
    att = _attributor()
    assert [att.auto_name(), att.auto_name()] == ["speaker1", "speaker2"]
