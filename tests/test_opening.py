"""The opening is heard, and safety answers are logged as given (issue #14, item 8).

The welcome carries the "not therapy" notice: a partner who talks over it (in a recording
they talk from the first second) made the coach stop 1.1 s in and go on, so it was never
heard. Now the coach hears them out and says it again, once, in full. And a session that
leaves the exercise after *unsure* answers ends as "unsure", not "not safe".
"""

from __future__ import annotations

import numpy as np

from voicecoach import eventlog as ev
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import EndSession, SafetyAnswer, Say, SayDone
from voicecoach.lab.rehearse import Rehearsal, happy_replies
from voicecoach.session import Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import SAMPLE_RATE

from .test_bargein import LongVoice, silence, voiced
from .test_session import EchoTranscriber, ScriptedListener

PARTNERS = ("Alex", "Sam")
WELCOME = "session.welcome"


def session_rehearsal(**replies) -> Rehearsal:
    table = happy_replies()
    table.update(replies)
    engine = Engine(None, PARTNERS, entry="session", settings={"timeout_s": 30})
    return Rehearsal(engine, table)


def welcomes(r: Rehearsal) -> list[Say]:
    return [a for a in r.actions(Say) if a.id == WELCOME]


def test_a_welcome_cut_off_after_a_second_is_said_again_in_full() -> None:
    r = session_rehearsal()
    r.barge_in("Sam", "Okay, okay, let's just start.", start=0.9)
    r.run_to("session.enroll_first")
    cut = [x for _, x in r.log if isinstance(x, SayDone) and x.id == WELCOME]
    assert cut[0].interrupted and cut[0].t < 1.5
    said = welcomes(r)
    assert len(said) == 2 and said[0].text == said[1].text
    assert "not therapy" in said[1].text
    assert not said[0].firm and said[1].firm  # the second time it is heard to the end
    assert not cut[1].interrupted
    assert r.talk_over() == []


def test_the_welcome_is_repeated_once_only() -> None:
    r = session_rehearsal()
    r.barge_in("Sam", "Hello.", start=0.9)
    r.barge_in("Alex", "Hi there, coach.", start=6.0)  # talks over the repeat too
    r.run_to("session.enroll_first")
    said = welcomes(r)
    assert len(said) == 2
    done = [x for _, x in r.log if isinstance(x, SayDone) and x.id == WELCOME]
    assert [d.interrupted for d in done] == [True, False]


def test_a_welcome_heard_in_full_is_said_once() -> None:
    r = session_rehearsal()
    r.run_to("session.enroll_first")
    assert len(welcomes(r)) == 1


def test_other_lines_cut_off_are_not_repeated() -> None:
    r = session_rehearsal()
    r.run_to("session.listening")
    listening_at = next(t for t, x in r.log if isinstance(x, Say) and x.id == "session.listening")
    r.barge_in("Alex", "Sure, thanks.", start=listening_at + 1.0)
    r.run_to("session.monitor")
    assert [a.id for a in r.actions(Say)].count("session.listening") == 1


def test_in_the_session_loop_the_repeat_cannot_be_barged_into(tmp_path) -> None:
    """The real session loop: a partner cuts into the welcome at 0.6 s and talks again
    during the repeat. The repeat plays to its end (2 s of prompt audio here). No words
    are transcribed, so the coach hears the partner out for the longest wait first."""
    engine = Engine(None, PARTNERS, entry="session")
    s = Session(
        listener=ScriptedListener([]),
        transcriber=EchoTranscriber({}),
        engine=engine,
        prompts=PromptCache(LongVoice()),
        sink=TrackSink(),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    mic = np.concatenate([silence(0.6), voiced(0.5), silence(9.4), voiced(0.5), silence(3.0)])
    s.run(ArraySource(mic))
    records = s.log.dicts()
    barges = [r for r in records if r["type"] == "barge_in"]
    said = [r for r in records if r["type"] == "say" and r["id"] == WELCOME]
    assert [b["id"] for b in barges] == [WELCOME]
    assert len(said) == 2
    assert said[0]["end"] < 0.8  # cut off at the barge-in (the partner began at 0.6 s)
    assert said[1]["end"] - said[1]["start"] == 2.0  # heard in full
    assert said[1]["start"] < 10.5 < said[1]["end"]  # ... though Sam spoke during it
    assert len(s.sink.audio()) >= round(said[1]["end"] * SAMPLE_RATE)


# ---------------------------------------------------------------- unsure stays unsure


UNSURE_ALL_THE_WAY = {
    "pause.safety@Alex": "Maybe.",
    "pause.offer": "Breathe.",
    "pause.safety_again@Alex": "I guess.",
    "pause.safety_after@Alex": "I don't know.",
}


def test_unsure_answers_are_logged_as_unsure_and_the_session_ends_unsure() -> None:
    r = session_rehearsal(**UNSURE_ALL_THE_WAY).run(until=3000)
    answers = r.actions(SafetyAnswer)
    assert [a.answer for a in answers if a.speaker == "Alex"] == ["unsure"] * 3
    assert "no" not in [a.answer for a in answers]
    assert r.actions(EndSession) == [EndSession("unsure")]  # was "not safe"
    assert "pause.rest_help" in r.steps()  # help is still shown, and no exercise follows
    assert not [s for s in r.steps() if s.startswith(("imago.", "appreciation."))]


def test_a_no_after_unsure_answers_is_not_safe() -> None:
    replies = {**UNSURE_ALL_THE_WAY, "pause.safety_after@Sam": "No."}
    r = session_rehearsal(**replies).run(until=3000)
    assert SafetyAnswer("Sam", "no") in r.actions(SafetyAnswer)
    assert r.actions(EndSession) == [EndSession("not safe")]


def test_danger_words_after_unsure_answers_are_not_safe() -> None:
    replies = {**UNSURE_ALL_THE_WAY, "pause.safety_after@Sam": "He hit me."}
    r = session_rehearsal(**replies).run(until=3000)
    assert r.actions(EndSession) == [EndSession("not safe")]
