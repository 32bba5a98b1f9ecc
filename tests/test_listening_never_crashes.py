"""Listening never crashes (issue #14): whatever audio comes in, the listener and
`voicecoach.analyze` give events (maybe none), never an exception.

Property tests feed random and extreme audio (empty, silent, clipped, DC, noise, tones,
speech cut mid-frame, out-of-range and non-finite samples) in random chunk sizes, to a
listener with enrolled partners, with none, and with one expected voice."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voicecoach
from voicecoach.errors import UserError
from voicecoach.lab.testaudio import place, vowel_voice
from voicecoach.perception.listener import Listener
from voicecoach.perception.types import Utterance
from voicecoach.timebase import SAMPLE_RATE

FAST = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@lru_cache(maxsize=1)
def _partners() -> tuple[np.ndarray, np.ndarray]:
    calm = np.array([120, 135, 110, 125.0])
    return (
        place(3.0, [(0.2, vowel_voice(2.5, calm, seed=1))]),
        place(3.0, [(0.2, vowel_voice(2.5, 1.7 * calm, tilt_db_oct=-10, seed=2))]),
    )


@st.composite
def audio(draw: st.DrawFn) -> np.ndarray:
    """A few seconds of one kind of hard input, at an odd length."""
    n = draw(st.integers(0, int(4.0 * SAMPLE_RATE)))
    kind = draw(
        st.sampled_from(
            ["empty", "silent", "clipped", "dc", "noise", "tone", "speech", "chirp", "floats"]
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    t = np.arange(n) / SAMPLE_RATE
    level = draw(st.sampled_from([1e-6, 0.01, 0.3, 1.0, 3.0]))
    if kind == "empty":
        x = np.zeros(0)
    elif kind == "silent":
        x = np.zeros(n)
    elif kind == "clipped":  # a voice driven far into the rails
        x = np.clip(50.0 * vowel_voice(n / SAMPLE_RATE + 0.1, 140.0)[:n], -1, 1)
    elif kind == "dc":
        x = np.full(n, draw(st.sampled_from([-1.0, -0.5, 0.2, 1.0])))
    elif kind == "noise":
        x = level * rng.standard_normal(n)
    elif kind == "tone":
        x = level * np.sin(2 * np.pi * draw(st.sampled_from([50.0, 440.0, 1000.0, 7900.0])) * t)
    elif kind == "chirp":
        x = level * np.sin(2 * np.pi * (100 * t + 900 * t * t))
    elif kind == "speech":  # speech that stops mid-frame, maybe mid-syllable
        x = vowel_voice(n / SAMPLE_RATE + 0.1, np.array([120, 180, 110.0]), seed=3)[:n]
    else:
        x = rng.uniform(-level, level, n)
        if n and draw(st.booleans()):
            x[rng.integers(0, n, 3)] = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e30]))
    return np.asarray(x, dtype=np.float32)


def _run(listener: Listener, x: np.ndarray, chunk: int) -> list[object]:
    out: list[object] = []
    for i in range(0, max(len(x), 1), chunk):
        out += listener.feed(x[i : i + chunk])
    out += listener.flush()
    return out


@pytest.mark.parametrize("who", ["partners", "auto", "single"])
@FAST
@given(x=audio(), chunk=st.sampled_from([1, 7, 480, 481, 4800, 16000, 100_000]))
def test_the_listener_takes_any_audio(who: str, x: np.ndarray, chunk: int) -> None:
    if chunk < 480:
        x = x[: 2 * SAMPLE_RATE]  # sample by sample is slow; two seconds tell enough
    listener = Listener()
    a, b = _partners()
    if who == "partners":
        listener.enroll("alex", a)
        listener.enroll("sam", b)
    elif who == "single":
        listener.calibrate(a, single=True)
    events = _run(listener, x, chunk)
    for e in events:
        if isinstance(e, Utterance):
            assert 0.0 <= e.start < e.end <= len(x) / SAMPLE_RATE + 1e-9


@FAST
@given(x=audio(), muted_at=st.floats(0.0, 4.0))
def test_muting_mid_input_never_crashes(x: np.ndarray, muted_at: float) -> None:
    listener = Listener()
    a, b = _partners()
    listener.enroll("alex", a)
    listener.enroll("sam", b)
    cut = int(muted_at * SAMPLE_RATE)
    listener.feed(x[:cut])
    listener.mute(True)
    listener.feed(x[cut : cut + SAMPLE_RATE])
    listener.mute(False)
    listener.feed(x[cut + SAMPLE_RATE :])
    listener.flush()


@settings(FAST, max_examples=12)
@given(x=audio(), enrol=st.booleans())
def test_analyze_takes_any_audio(x: np.ndarray, enrol: bool) -> None:
    a, b = _partners()
    result = voicecoach.analyze(x, enroll={"alex": a, "sam": b} if enrol else None)
    assert result["duration"] == pytest.approx(len(x) / SAMPLE_RATE, abs=1e-3)


@settings(FAST, max_examples=12)
@given(x=audio())
def test_enrolment_on_any_audio_learns_or_says_why(x: np.ndarray) -> None:
    # Too little speech is a clear refusal (a UserError from analyze), never a crash.
    try:
        voicecoach.analyze(_partners()[0], enroll={"alex": x, "sam": _partners()[1]})
    except UserError as e:
        assert "learn a voice" in str(e)


def test_partners_enrolled_without_frame_models_are_still_heard() -> None:
    # Reproduces the crash seen on a real recording: both partners enrolled on under
    # 0.9 s of speech have no frame model, `frame_loglik` gives nothing, and the first
    # re-check of a longer utterance raised in `_relative_ll` (np.max of an empty array).
    listener = Listener()
    listener.enroll("alex", place(1.5, [(0.3, vowel_voice(0.8, 120.0, seed=1))]))
    listener.enroll("sam", place(1.5, [(0.3, vowel_voice(0.8, 210.0, seed=2))]))
    assert all(p.frames is None for p in listener.bank.profiles)
    x = place(5.0, [(0.5, vowel_voice(3.0, 125.0, seed=3))])
    utts = [e for e in listener.feed(x) + listener.flush() if isinstance(e, Utterance)]
    assert len(utts) == 1 and utts[0].duration > 2.5


def test_non_finite_enrolment_audio_learns_a_finite_voice() -> None:
    a = _partners()[0].copy()
    a[4000:4100] = np.nan
    a[9000] = np.inf
    listener = Listener()
    listener.enroll("alex", a)
    prof = listener.bank.get("alex")
    assert prof is not None and np.isfinite(prof.embedding).all()
    assert prof.baseline is not None and np.isfinite(prof.baseline.level_db)
