"""Learning a partner's voice from an answer: check it is one voice's speech, then build
the profile the detectors use (d-vector, frame model, calm baseline)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from voicecoach.errors import UserError
from voicecoach.perception.enrolcheck import EnrolmentCheck, Verdict
from voicecoach.perception.speakers import VoiceProfile
from voicecoach.profiles import StoredProfile, new_profile

log = logging.getLogger(__name__)


class VoiceRefused(UserError):
    """The answer was not one partner's speech (see `Verdict.describe`)."""

    def __init__(self, message: str, verdict: Verdict) -> None:
        super().__init__(message)
        self.verdict = verdict


def build_voice(name: str, audio: np.ndarray) -> VoiceProfile:
    """The listener's own enrolment, run on ``audio``: the same profile a session learns."""
    from voicecoach.perception.listener import Listener

    listener = Listener()
    try:
        listener.enroll(name, np.asarray(audio, dtype=np.float32))
    except ValueError as e:
        raise UserError(f"Could not learn {name}'s voice: {e}.") from e
    voice = listener.bank.get(name)
    assert voice is not None
    return voice


def learn_voice(
    name: str,
    audio: np.ndarray,
    *,
    source: str,
    others: Mapping[str, np.ndarray] | None = None,
    check: EnrolmentCheck | None = None,
    coach: np.ndarray | None = None,
) -> StoredProfile:
    """A profile of ``name`` from ``audio``, or VoiceRefused saying why not.

    ``others``: d-vectors of voices already known (the other partner), so the same voice
    is not learnt twice under two names; ``coach``: what the coach just said (its echo
    is not a partner)."""
    check = check or EnrolmentCheck()
    verdict = check.judge(audio, partners=others, coach=coach)
    if not verdict.ok:
        raise VoiceRefused(f"Not saved: {verdict.describe(name)}.", verdict)
    voice = build_voice(name, audio)
    log.info("learnt %s's voice from %.1f s of speech", name, verdict.heard.speech_s)
    return new_profile(voice, verdict.heard.speech_s, source)
