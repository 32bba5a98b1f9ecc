"""Voice commands at any time, the key-press exit, and unclear answers."""

from __future__ import annotations

import pytest

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import (
    EndSession,
    EnterStep,
    KeyPressed,
    Listen,
    PartnerSaid,
    Say,
    Show,
    StopSpeaking,
)
from voicecoach.lab.rehearse import Line, Rehearsal, happy_replies

PARTNERS = ("Alex", "Sam")


def rehearse(entry: str = "imago", until: float = 3000, **replies) -> Rehearsal:
    table = happy_replies()
    table.update(replies)
    engine = Engine(None, PARTNERS, entry=entry, settings={"timeout_s": 30})
    return Rehearsal(engine, table).run(until=until)


def after(r: Rehearsal, pred) -> list:
    """The engine's actions after the first log entry matching ``pred``."""
    i = next(i for i, (_, x) in enumerate(r.log) if pred(x))
    return [x for _, x in r.log[i + 1 :] if not _is_input(x)]


def heard(text: str):
    return lambda x: isinstance(x, PartnerSaid) and x.text == text


def test_stop_ends_the_session_with_a_short_line() -> None:
    r = rehearse(**{"imago.send@Alex": "Stop."})
    rest = after(r, heard("Stop."))
    says = [x for x in rest if isinstance(x, Say)]
    assert [s.id for s in says] == ["engine.stop"]
    assert rest[-1] == EndSession("stopped")
    assert not [x for x in rest if isinstance(x, Listen)]


def test_stop_inside_a_sentence_is_not_a_command() -> None:
    text = "Please don't stop talking to me when we argue."
    r = rehearse(**{"imago.send@Alex": text})
    assert "engine.stop" not in r.said()
    assert r.actions(EndSession) == [EndSession("done")]


def test_pause_runs_the_pause_then_resumes_the_step() -> None:
    r = rehearse(
        **{
            "imago.mirror@Sam": [
                "Can we pause?",
                "If I got it, you felt lonely when I worked late every night this week.",
            ]
        }
    )
    steps = r.steps()
    i = steps.index("pause.breath")
    assert steps[i - 1] == "imago.mirror"
    assert "pause.safety" in steps[i:]
    # Back to the mirror prompt, after a word that we are picking up again.
    resumed = steps[steps.index("pause.continue") + 1]
    assert resumed == "imago.mirror_prompt"
    said = r.said()
    assert said[said.index("pause.go_on") + 1] == "engine.resume"
    assert r.actions(EndSession) == [EndSession("done")]


def test_repeat_that_says_the_last_prompt_again() -> None:
    r = rehearse(**{"imago.appointment@Sam": ["Repeat that, please.", "Yes."]})
    says = r.actions(Say)
    i = next(i for i, s in enumerate(says) if s.id == "engine.repeat")
    assert (
        says[i].text == says[i - 1].text == "Sam, Alex would like to share something. Is now a "
        "good time?"
    )
    # Listening again for the same answer, which then counts.
    assert [a.speaker for a in r.actions(Listen) if a.step == "imago.appointment"][:2] == [
        "Sam",
        "Sam",
    ]
    assert "imago.send_prompt" in r.said()


def test_skip_moves_to_the_next_step() -> None:
    r = rehearse(**{"imago.send@Alex": ["Skip."], "imago.mirror@Sam": "Okay."})
    steps = r.steps()
    assert steps[steps.index("imago.send") + 1] == "imago.mirror_prompt"


def test_skip_never_skips_the_safety_question() -> None:
    r = rehearse(entry="pause", **{"pause.safety@Alex": ["Skip.", "Yes."]})
    assert "engine.repeat" not in r.said()
    says = [s for s in r.actions(Say) if s.id == "pause.safety"]
    assert any("This one matters" in s.text for s in says)
    assert r.actions(EndSession) == [EndSession("continue")]


def test_skip_cuts_a_timeout_short_but_keeps_the_check_in() -> None:
    engine = Engine(None, PARTNERS, entry="timeout", settings={"timeout_s": 600})
    r = Rehearsal(engine)
    r.run(until=30)
    r.speak("Alex", "Skip.", start=31.0)
    r.run(until=60)
    assert engine.finished
    checkin = [s for s in r.actions(Say) if "Welcome back" in s.text]
    assert len(checkin) == 1


def test_slower_slows_the_following_prompts() -> None:
    r = rehearse(**{"imago.appointment@Sam": ["Slower, please.", "Yes."]})
    says = r.actions(Say)
    i = next(i for i, s in enumerate(says) if s.id == "engine.slower")
    assert says[i].text == "Of course. I'll speak more slowly."
    assert says[i + 1].id == "engine.repeat" and says[i + 1].rate < 1.0
    assert all(s.rate < 1.0 for s in says[i:])
    assert all(s.rate == 1.0 for s in says[:i])


@pytest.mark.parametrize("at", [5.0, 30.0, 60.0, 120.0])
def test_key_press_ends_quietly(at: float) -> None:
    engine = Engine(None, PARTNERS, entry="imago")
    r = Rehearsal(engine, happy_replies())
    r.at(at, KeyPressed(at, " "))
    r.run(until=3000)
    rest = after(r, lambda x: isinstance(x, KeyPressed))
    assert rest[-1] == EndSession("key pressed")
    assert not [x for x in rest if isinstance(x, Say | Show | Listen | EnterStep)]
    assert all(isinstance(x, StopSpeaking | EndSession) for x in rest)


def _is_input(x: object) -> bool:
    from voicecoach.dialogue import protocol as p

    return isinstance(
        x, p.Tick | p.SayDone | p.SpeechStarted | p.PartnerSaid | p.HeatAlarm | p.KeyPressed
    )


def test_key_press_while_speaking_stops_the_voice() -> None:
    engine = Engine(None, PARTNERS, entry="imago")
    r = Rehearsal(engine, happy_replies())
    r.at(1.0, KeyPressed(1.0, "q"))  # during the intro line
    r.run(until=100)
    rest = after(r, lambda x: isinstance(x, KeyPressed))
    assert rest[:2] == [StopSpeaking(), EndSession("key pressed")]


# ---------------------------------------------------------------- unclear answers


def test_unclear_answer_gets_didnt_catch_then_a_simpler_question() -> None:
    r = rehearse(**{"imago.appointment@Sam": ["Mmm, the cat.", "", "Yes."]})
    says = [s.text for s in r.actions(Say) if s.id == "imago.appointment"]
    assert says[1].startswith("Sorry, I didn't catch that.")
    assert says[2] == "Sam, is now a good time? Yes or no."
    assert "imago.send_prompt" in r.said()


def test_still_unclear_is_a_doubt_never_a_yes() -> None:
    r = rehearse(**{"imago.appointment@Sam": ["Mmm.", "The cat.", "Purple."]})
    assert "imago.later" in r.steps() and "imago.send" not in r.steps()


@pytest.mark.parametrize(
    "reply,goes_to",
    [
        ("yeah I think so", "imago.send_prompt"),
        ("Sure, go ahead.", "imago.send_prompt"),
        ("not really", "imago.later"),
        ("I guess", "imago.later"),
        ("I don't know", "imago.later"),
    ],
)
def test_loose_answers_are_understood(reply: str, goes_to: str) -> None:
    r = rehearse(**{"imago.appointment@Sam": reply})
    steps = r.steps()
    assert steps[steps.index("imago.appointment") + 1] == goes_to


def test_danger_during_the_stop_line_still_shows_help() -> None:
    engine = Engine(None, PARTNERS, entry="imago")
    r = Rehearsal(engine, {**happy_replies(), "imago.send@Alex": "Stop."})
    r.run_to("engine.stop")
    r.speak("Sam", "I am scared of him.", start=r.t + 0.1)
    r.run(until=r.t + 60)
    assert [s.kind for s in r.actions(Show)] == ["help"]
    assert r.actions(EndSession) == [EndSession("not safe")]


def test_key_during_the_safety_stop_keeps_the_reason() -> None:
    engine = Engine(None, PARTNERS, entry="imago")
    r = Rehearsal(engine, {**happy_replies(), "imago.send@Alex": "He hit me."})
    r.run_to("safety.stop")
    r.at(r.t + 0.5, KeyPressed(r.t + 0.5, "x"))
    r.run(until=r.t + 60)
    assert r.actions(EndSession) == [EndSession("not safe")]


def test_a_command_from_the_listener_waits_for_a_gap_in_the_senders_speech() -> None:
    send = (
        Line(
            "I have been thinking about this for a long time, and I want you to know "
            "how it felt for me.",
            dur=8.0,
        ),
        Line("Slower, please.", speaker="Sam", after=-6.0, dur=1.0),
    )
    r = rehearse(**{"imago.send@Alex": send})
    t_slower = next(t for t, x in r.log if isinstance(x, Say) and x.id == "engine.slower")
    alex_said = next(t for t, x in r.log if isinstance(x, PartnerSaid) and x.speaker == "Alex")
    assert t_slower >= alex_said  # said once Alex paused, not over Alex
    assert "engine.hold_floor" not in r.said()  # a command is not an interruption
    assert r.talk_over() == []


def test_stop_shouted_in_the_couples_own_conversation_is_not_a_command() -> None:
    table = happy_replies()
    table["session.monitor"] = "Stop!"
    engine = Engine(None, PARTNERS, entry="session")
    r = Rehearsal(engine, table).run(until=200)
    assert "engine.stop" not in r.said()
    assert not engine.finished


def test_stop_addressed_to_the_coach_in_the_conversation_is_a_command() -> None:
    table = happy_replies()
    table["session.monitor"] = "Coach, stop the session."
    engine = Engine(None, PARTNERS, entry="session")
    r = Rehearsal(engine, table).run(until=200)
    assert r.said()[-1] == "engine.stop"
    assert r.actions(EndSession) == [EndSession("stopped")]
