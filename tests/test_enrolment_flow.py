"""Enrolment in a real session loop: the real engine (session script), the real listener
and the real enrolment check, on generated audio (Piper speech, tones, noise). Only the
transcriber and the coach's voice are stand-ins (fast).

Each test reproduces a problem seen on real recordings (issue #14): an answer that starts
before the coach has finished asking lost the whole session; a tone was learnt as a
voice; the same voice could be learnt twice; "learned Sam's voice" repeated.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.standins import WholeVoice
from voicecoach import eventlog as ev
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.dialogue import prompts
from voicecoach.dialogue.engine import Engine
from voicecoach.lab.testaudio import fan_noise, music, piper_speech, place, silence, tone
from voicecoach.perception.listener import Listener
from voicecoach.session import Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import SAMPLE_RATE
from voicecoach.transcript import format_event
from voicecoach.voicelearning import VoiceLearning

PROMPT_S = 1.0  # every coach line lasts this long (stand-in voice)
ALEX = [
    "Hi, I'm Alex. My day was long, I had meetings all morning and then I cooked dinner.",
    "I went for a run after work, and then I called my sister for an hour.",
]
SAM = [
    "Hello, I'm Sam. My day was fine, I worked from home and went for a walk at lunch.",
    "In the evening I read a book and made some tea, it was quiet and nice.",
]
TALK = [
    "I think we should plan the weekend together this time, not at the last minute.",
    "We could visit your parents on Saturday and keep Sunday for ourselves.",
    "That sounds good to me, as long as we are back home by the evening.",
]


def alex(i: int) -> np.ndarray:
    return piper_speech(ALEX[i])


def sam(i: int) -> np.ndarray:
    return piper_speech(SAM[i], shift=1.4)


class QuietVoice(WholeVoice):
    """The coach's stand-in voice: every line is PROMPT_S of a soft hum."""

    def render(self, text: str) -> np.ndarray:
        t = np.arange(int(PROMPT_S * SAMPLE_RATE)) / SAMPLE_RATE
        return (0.05 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)


class Words:
    """Stand-in transcriber: a few words for any audio with sound in it (Whisper often
    "hears" words in noise too: the voice check must not rely on the words)."""

    def transcribe(self, audio: np.ndarray) -> str:
        return "my day was fine" if len(audio) and np.abs(audio).max() > 0.01 else ""


def run(audio: np.ndarray, tmp_path, **engine_kw) -> tuple[Session, list[dict]]:
    listener = Listener()
    engine = Engine(partners=("Alex", "Sam"), **engine_kw)
    session = Session(
        listener=listener,
        transcriber=Words(),
        engine=engine,
        prompts=PromptCache(QuietVoice()),
        sink=TrackSink(),
        log=ev.EventLog(tmp_path / "events.jsonl"),
        mute_while_speaking=False,  # a recording: the coach is not in it
        voices=VoiceLearning(listener, ("Alex", "Sam"), known=engine_kw.get("known_voices", ())),
    )
    session.run(ArraySource(audio, chunk_samples=4800))
    return session, session.log.dicts()


def says(records: list[dict]) -> list[str]:
    return [r["text"] for r in records if r["type"] == "say"]


def enrolled(records: list[dict]) -> list[str]:
    return [r["speaker"] for r in records if r["type"] == "enroll"]


def scene(parts: list[tuple[float, np.ndarray]], tail_s: float = 4.0) -> np.ndarray:
    end = max(t + len(a) / SAMPLE_RATE for t, a in parts) + tail_s
    return place(end, parts)


def test_an_answer_that_starts_before_the_question_ends_still_counts(tmp_path):
    # Welcome 0-1 s, Alex's request 1-2 s: Alex starts at 1.4 s, over the request.
    t_sam = 1.4 + len(alex(0)) / SAMPLE_RATE + 4.0
    s = np.concatenate([sam(0), silence(1.5), sam(1)])  # Sam answers in two pieces
    audio = scene([(1.4, alex(0)), (t_sam, s)], tail_s=6.0)
    session, records = run(audio, tmp_path)
    assert enrolled(records) == ["Alex", "Sam"]  # each once: never "learned X's voice" twice
    assert [format_event(r) for r in records if r["type"] == "enroll"][0].endswith(
        "learned Alex's voice"
    )
    assert not any("a little more" in s or "couldn't" in s for s in says(records))
    steps = [r["step"] for r in records if r["type"] == "step"]
    assert "monitor" in steps
    assert {p.name for p in session.listener.bank.profiles} == {"Alex", "Sam"}


@pytest.mark.parametrize(
    "noise",
    [
        pytest.param(lambda: tone(4.0, 1000.0), id="tone"),
        pytest.param(lambda: fan_noise(4.0, level_db=-26.0), id="fan"),
        pytest.param(lambda: music(5.0), id="music"),
    ],
)
def test_a_sound_that_is_not_a_voice_is_refused_and_asked_again_by_name(noise, tmp_path):
    # Alex's "answer" is a sound; asked again, Alex answers.
    t_again = 2.2 + 5.0 + 1.2 + 0.5 + PROMPT_S + 0.3
    audio = scene(
        [(2.2, noise()), (t_again, alex(0)), (t_again + 9.0, sam(0))],
        tail_s=6.0,
    )
    session, records = run(audio, tmp_path)
    lines = says(records)
    again = [s for s in lines if s.startswith(("Sorry, Alex", "Alex, I need"))]
    assert len(again) == 1, lines
    assert enrolled(records) == ["Alex", "Sam"]
    # What was learnt as Alex is Alex's voice, not the sound: Alex's later speech is his.
    emb = session.listener.embedder.embed(alex(1))
    prof = session.listener.bank.get("Alex")
    assert prof is not None and float(emb @ prof.embedding) > 0.7


def test_after_two_kind_re_asks_the_coach_goes_on_and_learns_the_voice_from_the_talk(
    tmp_path,
):
    beep = tone(3.0, 1000.0)
    # Each beep after the request before it: 3 s, ~0.6 s to close it, 1.2 s to end the
    # turn, a 1 s request.
    step = 7.0
    t0 = 2.2
    parts = [(t0, beep), (t0 + step, beep), (t0 + 2 * step, beep)]
    t_sam = t0 + 3 * step + 1.5
    parts.append((t_sam, sam(0)))
    # The conversation: Sam, then Alex (never enrolled) for a few turns.
    t = t_sam + 9.0 + 2 * PROMPT_S
    for i, text in enumerate(TALK * 2):
        who = 1.0 if i % 2 else 1.4  # Alex's voice, then Sam's, ...
        parts.append((t, piper_speech(text, shift=who)))
        t += 6.0
    session, records = run(scene(parts), tmp_path)
    lines = says(records)
    again = [s for s in lines if "Alex" in s and s.startswith(("Sorry", "Alex, I need"))]
    assert len(again) == 2, lines  # at most twice
    assert prompts.VOICE_MISSING.format(name="Alex") in lines
    shown = [r["text"] for r in records if r["type"] == "show"]
    assert any("Alex's voice is not learned yet" in s for s in shown)
    # Sam enrolled; Alex learnt later from the talk (the voice that is not Sam's), once.
    assert enrolled(records) == ["Sam", "Alex"]
    learnt_at = [r["t"] for r in records if r["type"] == "enroll" and r["speaker"] == "Alex"]
    assert learnt_at[0] > t_sam + 9.0
    emb = session.listener.embedder.embed(alex(1))
    assert float(emb @ session.listener.bank.get("Alex").embedding) > 0.7


def test_the_same_voice_twice_is_named(tmp_path):
    t_sam = 1.5 + 5.0 + 1.2 + 0.5 + PROMPT_S + 0.3
    t_again = t_sam + 5.5 + 1.2 + 0.5 + PROMPT_S + 0.3
    # Sam's "answer" is Alex again (Alex answered for both); asked again, Sam answers.
    audio = scene([(1.5, alex(0)), (t_sam, alex(1)), (t_again, sam(0))], tail_s=6.0)
    session, records = run(audio, tmp_path)
    lines = says(records)
    assert any(s.startswith("That sounded like Alex again. Sam,") for s in lines), lines
    assert enrolled(records) == ["Alex", "Sam"]
    a, s = session.listener.bank.get("Alex"), session.listener.bank.get("Sam")
    assert float(a.embedding @ s.embedding) < 0.7


def test_known_voices_skip_the_spoken_enrolment(tmp_path):
    audio = scene([(2.5, alex(0))], tail_s=3.0)
    _, records = run(audio, tmp_path, known_voices=("Alex", "Sam"))
    lines = says(records)
    assert not any("so I can tell your voices apart" in s for s in lines)
    assert not any("the same for you" in s for s in lines)
    assert enrolled(records) == []
