"""Only voices heat up (issue #14): beeps, alarms, buzzers, chirps, clicks and noise never
count as a raised voice, alone or over a partner's speech; raised speech still does."""

from __future__ import annotations

import numpy as np
import pytest
import webrtcvad

from voicecoach.lab.testaudio import piper_speech, place, vowel_voice
from voicecoach.perception.features import analyse_audio
from voicecoach.perception.listener import Listener
from voicecoach.perception.stages.frames import frames_of
from voicecoach.perception.stages.voicegate import VoiceGate, VoiceGateSettings, harmonics
from voicecoach.perception.types import RaisedVoice
from voicecoach.perception.vad import vad_flags
from voicecoach.timebase import SAMPLE_RATE

T = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
RNG = np.random.default_rng(0)


def _sine(hz: float | np.ndarray, level: float = 0.3) -> np.ndarray:
    return (
        level * np.sin(2 * np.pi * np.cumsum(np.broadcast_to(hz, T.shape)) / SAMPLE_RATE)
    ).astype(np.float32)


def _clicks() -> np.ndarray:
    x = np.zeros(len(T))
    for k in range(6):  # a door slammed, knocks: short broadband bursts
        i = int((0.2 + 0.45 * k) * SAMPLE_RATE)
        x[i : i + 400] = 0.8 * RNG.standard_normal(400) * np.exp(-np.arange(400) / 60)
    return x.astype(np.float32)


NOT_VOICES = {
    "1 kHz beep": _sine(1000.0),
    "loud 1 kHz beep": _sine(1000.0, 0.9),
    "2.5 kHz beep": _sine(2500.0),
    "440 Hz beep": _sine(440.0),
    "beeping": _sine(1000.0) * ((T * 4) % 1 < 0.5),
    "two-tone alarm": _sine(np.where(np.sin(2 * np.pi * 2 * T) > 0, 1200.0, 900.0)),
    "siren": _sine(600 + 200 * np.sin(2 * np.pi * 0.5 * T)),
    "chirp": _sine(200 + 800 * T),
    "square buzzer": (0.2 * np.sign(np.sin(2 * np.pi * 300 * T))).astype(np.float32),
    "sawtooth alarm": (
        0.2 * ((np.where(np.sin(2 * np.pi * T) > 0, 350, 450) * T) % 1 - 0.5)
    ).astype(np.float32),
    "melody": np.concatenate(
        [
            0.2 * ((f * T[: int(0.3 * SAMPLE_RATE)]) % 1 - 0.5)
            for f in (262, 294, 330, 349, 392, 440, 494, 523, 494, 440)
        ]
    ).astype(np.float32),
    "noise burst": (0.3 * RNG.standard_normal(len(T)) * (T < 1.0)).astype(np.float32),
    "clicks": _clicks(),
}


def _gated(x: np.ndarray) -> float:
    """Share of the voiced frames the gate hears as voice."""
    block = analyse_audio(x)
    frames = [f for f in frames_of(block, vad_flags(block.pcm, block.level_db, webrtcvad.Vad(2)))]
    voiced = [f for f in frames if f.vad and f.f0_hz > 0]
    gate = VoiceGate()
    passed = [gate.step(f) for f in voiced]
    return sum(passed) / max(len(passed), 1)


def test_a_tone_has_one_partial_a_voice_many() -> None:
    frame = _sine(300.0)[4800:5280]
    assert harmonics(frame, 300.0, VoiceGateSettings()) == 1
    voice = vowel_voice(1.0, 120.0)[4800:5280]
    assert harmonics(voice, 120.0, VoiceGateSettings()) >= 5
    assert harmonics(voice, 0.0, VoiceGateSettings()) == 0


@pytest.mark.parametrize("name", sorted(NOT_VOICES))
def test_no_machine_sound_passes_the_gate(name: str) -> None:
    # At most a sound's first few harmonic frames (the benefit of the doubt before its
    # movement can be judged: the clicks where a beep starts and stops).
    assert _gated(NOT_VOICES[name]) <= 0.2


def test_speech_passes_the_gate() -> None:
    assert _gated(vowel_voice(3.0, np.array([120, 135, 110, 125, 105.0]))) > 0.8
    raised = vowel_voice(3.0, np.array([170, 195, 160, 185, 165.0]), tilt_db_oct=-7, level_db=-22)
    assert _gated(raised) > 0.8
    assert _gated(piper_speech("I feel alone when you work late, and I need you to call me.")) > 0.6


def _raised_events(x: np.ndarray, single: bool) -> list[RaisedVoice]:
    calm = vowel_voice(3.0, np.array([120, 135, 110, 125, 105.0]), level_db=-30, seed=1)
    listener = Listener()
    if single:
        listener.calibrate(calm, single=True)
    else:
        listener.enroll("alex", calm)
        listener.enroll(
            "sam", vowel_voice(3.0, np.array([210, 230, 200, 220.0]), level_db=-30, seed=2)
        )
    return [e for e in listener.feed(x) + listener.flush() if isinstance(e, RaisedVoice)]


@pytest.mark.parametrize("name", ["1 kHz beep", "two-tone alarm", "beeping", "chirp", "clicks"])
def test_a_sound_over_calm_speech_is_no_raised_voice(name: str) -> None:
    # Before the gate a 3 s 1 kHz beep over a partner's calm talk was her raised voice.
    talk = vowel_voice(6.0, np.array([120, 135, 110, 125, 105.0, 130.0]), level_db=-30, seed=3)
    x = place(9.0, [(0.5, talk), (2.0, NOT_VOICES[name])])
    assert _raised_events(x, single=False) == []


@pytest.mark.parametrize("name", ["1 kHz beep", "loud 1 kHz beep", "siren", "melody", "beeping"])
def test_a_sound_alone_in_a_solo_recording_is_no_raised_voice(name: str) -> None:
    # With one expected voice every sound is "hers": only the gate keeps a beep out.
    calm = vowel_voice(3.0, np.array([120, 135, 110, 125, 105.0]), level_db=-30, seed=3)
    x = place(9.0, [(0.5, calm), (5.0, NOT_VOICES[name])])
    assert _raised_events(x, single=True) == []


@pytest.mark.parametrize("single", [False, True])
def test_a_raised_voice_still_alarms(single: bool) -> None:
    calm = vowel_voice(2.5, np.array([120, 135, 110, 125, 105.0]), level_db=-30, seed=3)
    raised = vowel_voice(3.0, np.array([170, 195, 160, 185, 165.0]), tilt_db_oct=-7, level_db=-22)
    x = place(9.0, [(0.5, calm), (4.0, raised)])
    events = _raised_events(x, single=single)
    assert len(events) == 1 and 4.0 <= events[0].start < 5.0
