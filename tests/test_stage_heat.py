"""Heat stage: frames wait for a speaker with a baseline, then feed the raised detector;
only calm speech outside an episode refines the baseline."""

from __future__ import annotations

import numpy as np
import webrtcvad

from voicecoach.lab.testaudio import vowel_voice
from voicecoach.perception.features import analyse_audio
from voicecoach.perception.speakers import SpeakerBank, VoiceProfile, build_profile, speech_frames
from voicecoach.perception.stages.frames import Frame, frames_of
from voicecoach.perception.stages.heat import Heat, HeatSettings
from voicecoach.perception.vad import vad_flags

CALM = np.array([120, 135, 110, 125, 105.0])
RAISED = np.array([170, 195, 160, 185, 165.0])


def _frames(audio: np.ndarray) -> list[Frame]:
    block = analyse_audio(audio)
    return frames_of(block, vad_flags(block.pcm, block.level_db, webrtcvad.Vad(2)))


def _profile(name: str) -> VoiceProfile:
    block = analyse_audio(vowel_voice(4.0, CALM, level_db=-30, seed=1))
    mask = speech_frames(block, vad_flags(block.pcm, block.level_db, webrtcvad.Vad(2)))
    return build_profile(name, np.ones(4) / 2, block, mask, enrolled=True)


def test_raised_frames_alarm_once_the_speaker_is_known() -> None:
    bank = SpeakerBank()
    heat = Heat(bank, HeatSettings())
    frames = _frames(vowel_voice(3.0, RAISED, tilt_db_oct=-7, level_db=-22, seed=4))
    heat.pending = list(frames)
    assert heat.step("alex", 3.0) == []  # nobody to measure against: they wait
    assert len(heat.pending) == len(frames)
    bank.add(_profile("alex"))
    alarms = heat.step("alex", 3.0)
    assert len(alarms) == 1 and alarms[0].speaker == "alex" and alarms[0].t >= 3.0
    assert heat.pending == [] and heat.in_episode("alex")


def test_calm_speech_refines_the_baseline_raised_speech_does_not() -> None:
    bank = SpeakerBank()
    bank.add(_profile("alex"))
    prof = bank.get("alex")
    assert prof is not None and prof.baseline is not None
    heat = Heat(bank, HeatSettings())
    before = prof.baseline.voiced_s
    heat.adapt("alex", _frames(vowel_voice(2.0, CALM, level_db=-30, seed=7)))
    after_calm = prof.baseline.voiced_s
    assert after_calm > before
    heat.adapt("alex", _frames(vowel_voice(2.0, RAISED, tilt_db_oct=-7, level_db=-22, seed=8)))
    assert prof.baseline.voiced_s == after_calm
    heat.adapt("sam", _frames(vowel_voice(2.0, CALM, seed=9)))  # unknown voice: nothing
