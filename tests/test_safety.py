"""Safety first: danger words stop the exercise from any step; "no" is never followed by
an exercise; help information is shown, not spoken."""

from __future__ import annotations

import pytest

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.helpinfo import help_text
from voicecoach.dialogue.protocol import (
    EndSession,
    EnterStep,
    HeatAlarm,
    Listen,
    SafetyAnswer,
    Say,
    Show,
)
from voicecoach.dialogue.safety import danger
from voicecoach.lab.rehearse import Line, Rehearsal, happy_replies

PARTNERS = ("Alex", "Sam")
DANGER = "He hit me last week and I am scared of him."

# Every step where a partner has the floor, with who has it, from the session down.
FLOOR_STEPS = [
    ("session", "session.enroll_first", "Alex"),
    ("session", "session.enroll_second", "Sam"),
    ("session", "session.monitor", "both"),
    ("session", "pause.safety", "Alex"),
    ("imago", "imago.appointment", "Sam"),
    ("imago", "imago.send", "Alex"),
    ("imago", "imago.mirror", "Sam"),
    ("imago", "imago.got_it", "Alex"),
    ("imago", "imago.more", "Alex"),
    ("imago", "imago.summary", "Sam"),
    ("imago", "imago.validate", "Sam"),
    ("imago", "imago.empathy", "Sam"),
    ("imago", "appreciation.first", "Alex"),
    ("imago", "appreciation.second", "Sam"),
]


def rehearse(entry: str, settings: dict | None = None, **replies) -> Rehearsal:
    table = happy_replies()
    table.update(replies)
    engine = Engine(None, PARTNERS, entry=entry, settings=settings or {"timeout_s": 30})
    return Rehearsal(engine, table).run(until=3000)


def after_help(r: Rehearsal) -> list:
    """Everything from the help information on (other Shows, e.g. a voice the enrolment
    could not learn, may come before it)."""
    i = next(i for i, (_, x) in enumerate(r.log) if isinstance(x, Show) and x.kind == "help")
    return [x for _, x in r.log[i:]]


def assert_safety_stop(r: Rehearsal, speaker: str) -> None:
    help_info = help_text("US")
    shows = r.actions(Show)
    assert Show(help_info, kind="help") in shows
    assert SafetyAnswer(speaker, "no") in r.actions(SafetyAnswer)
    assert r.actions(EndSession) == [EndSession("not safe")]
    rest = after_help(r)
    # Nothing of any exercise after the stop: no listening, no step, no more words.
    assert not [x for x in rest if isinstance(x, Listen | EnterStep)]
    assert [x.id for x in rest if isinstance(x, Say)] == []
    stop = [a for a in r.actions(Say) if a.id == "safety.stop"]
    assert len(stop) == 1
    # The hotline is shown, never read aloud by default.
    assert "1-800-799-7233" not in " ".join(a.text for a in r.actions(Say))
    assert r.talk_over() == []


@pytest.mark.parametrize("entry,step,who", FLOOR_STEPS)
def test_danger_words_stop_from_any_step(entry: str, step: str, who: str) -> None:
    speaker = "Alex" if who == "both" else who
    r = rehearse(entry, **{step: Line(DANGER, speaker=speaker)})
    assert_safety_stop(r, speaker)


@pytest.mark.parametrize("step", ["imago.send", "imago.mirror", "session.enroll_first"])
def test_danger_from_the_partner_without_the_floor(step: str) -> None:
    floor = {"imago.send": "Alex", "imago.mirror": "Sam", "session.enroll_first": "Alex"}[step]
    other = "Sam" if floor == "Alex" else "Alex"
    entry = step.split(".")[0]
    reply = (
        Line("I want to say something.", dur=1.5),
        Line("I am afraid he will hurt me.", speaker=other, after=0.5),
    )
    r = rehearse(entry, **{f"{step}@{floor}": reply})
    assert_safety_stop(r, other)


def test_danger_while_the_coach_is_speaking_stops_the_voice_first() -> None:
    engine = Engine(None, PARTNERS, entry="imago")
    r = Rehearsal(engine, happy_replies())
    r.speak("Sam", "She threatened to take the kids.", start=1.0)  # during the intro
    r.run(until=200)
    assert_safety_stop(r, "Sam")
    from voicecoach.dialogue.protocol import StopSpeaking

    acts = r.actions()
    i = acts.index(StopSpeaking())
    assert isinstance(acts[i + 1], EnterStep) and acts[i + 2].id == "safety.stop"


def test_help_is_spoken_only_when_configured() -> None:
    r = rehearse("imago", settings={"speak_help": True}, **{"imago.send": DANGER})
    stop = next(a for a in r.actions(Say) if a.id == "safety.stop")
    assert "1-800-799-7233" in stop.text


def test_help_info_per_country() -> None:
    r = rehearse("imago", settings={"help_country": "GB"}, **{"imago.send": DANGER})
    (show,) = [s for s in r.actions(Show) if s.kind == "help"]
    assert "999" in show.text and "0808 2000 247" in show.text
    custom = rehearse(
        "imago", settings={"help_text": "Call Jo at 555 0100."}, **{"imago.send": DANGER}
    )
    assert Show("Call Jo at 555 0100.", kind="help") in custom.actions(Show)


def test_default_help_text_names_the_us_hotline() -> None:
    text = help_text()
    assert "National Domestic Violence Hotline" in text
    assert "1-800-799-7233" in text and "START to 88788" in text and "911" in text


# ---------------------------------------------------------------- the pause script


def test_pause_all_yes_continues_and_logs_each_answer() -> None:
    r = rehearse(
        "pause", **{"pause.safety@Alex": "Yes, I feel safe.", "pause.safety@Sam": "yeah I think so"}
    )
    asks = [a for a in r.actions(Say) if a.id == "pause.safety"]
    assert [a.text for a in asks] == [
        "Alex, do you feel safe right now?",
        "Sam, do you feel safe right now?",
    ]
    assert [a.to for a in asks] == ["Alex", "Sam"]
    assert r.said()[0] == "pause.breath"
    assert r.actions(Say)[0].text == "Let's take a breath together."
    assert r.actions(SafetyAnswer) == [SafetyAnswer("Alex", "yes"), SafetyAnswer("Sam", "yes")]
    assert r.actions(EndSession) == [EndSession("continue")]
    assert not [s for s in r.actions(Show) if s.kind == "help"]


@pytest.mark.parametrize("who", ["Alex", "Sam"])
def test_pause_any_no_stops_and_shows_help(who: str) -> None:
    r = rehearse("pause", **{f"pause.safety@{who}": "No."})
    assert SafetyAnswer(who, "no") in r.actions(SafetyAnswer)
    assert Show(help_text("US"), kind="help") in r.actions(Show)
    assert r.actions(EndSession) == [EndSession("not safe")]
    assert "pause.unsafe" in r.said()
    if who == "Alex":  # no need to ask Sam once someone is not safe
        assert [a.speaker for a in r.actions(Listen) if a.step == "pause.safety"] == ["Alex"]


def test_pause_unsure_offers_breathing_then_asks_again() -> None:
    r = rehearse("pause", **{"pause.safety@Sam": "I'm not sure.", "pause.offer": "Breathing."})
    assert r.actions(SafetyAnswer)[:2] == [
        SafetyAnswer("Alex", "yes"),
        SafetyAnswer("Sam", "unsure"),
    ]
    steps = r.steps()
    assert (
        steps.index("pause.offer")
        < steps.index("pause.more_breathing")
        < steps.index("pause.safety_again")
    )
    assert r.actions(EndSession) == [EndSession("continue")]


def test_pause_unsure_can_take_a_timeout_with_a_check_in() -> None:
    r = rehearse(
        "pause",
        settings={"timeout_s": 45},
        **{"pause.safety@Alex": "I don't know.", "pause.offer": "A timeout."},
    )
    steps = r.steps()
    assert "timeout.start" in steps and "pause.safety_after" in steps
    timer = [s for s in r.actions(Show) if s.kind == "timer"]
    assert len(timer) == 1 and "45 seconds" in timer[0].text
    t_start = next(t for t, x in r.log if isinstance(x, Show) and x.kind == "timer")
    t_back = next(t for t, x in r.log if isinstance(x, Say) and "Welcome back" in x.text)
    assert 45.0 <= t_back - t_start <= 46.0
    says = " ".join(a.text for a in r.actions(Say))
    assert "avoid replaying the argument" in says
    assert r.actions(EndSession) == [EndSession("continue")]


def test_pause_unsure_twice_leaves_the_exercise_for_today() -> None:
    r = rehearse(
        "pause",
        **{
            "pause.safety@Alex": "Maybe.",
            "pause.offer": "Breathe.",
            "pause.safety_again@Alex": "I guess.",
            "pause.safety_after@Alex": "I don't know.",
        },
    )
    assert [s for s in r.actions(Show) if s.kind == "help"]
    # Doubts, logged as given: nobody said no, so the reason is not "not safe".
    assert r.actions(EndSession) == [EndSession("unsure")]


@pytest.mark.parametrize("answer", ["No.", "No, I don't.", "not really"])
def test_no_in_the_session_is_never_followed_by_any_imago_step(answer: str) -> None:
    r = rehearse("session", **{"pause.safety@Sam": answer})
    assert not [s for s in r.steps() if s.startswith(("imago.", "appreciation."))]
    assert r.actions(EndSession) == [EndSession("not safe")]


def test_no_during_a_heat_pause_in_the_dialogue_ends_it() -> None:
    engine = Engine(None, PARTNERS, entry="imago")
    table = happy_replies()
    table["pause.safety@Sam"] = "No."
    r = Rehearsal(engine, table)
    r.at(40.0, HeatAlarm(40.0, "raised_voice", "Sam", 0.9))
    r.run(until=3000)
    steps = r.steps()
    i = steps.index("pause.breath")
    assert not [s for s in steps[i:] if s.startswith(("imago.", "appreciation."))]
    assert "engine.resume" not in r.said()
    assert r.actions(EndSession) == [EndSession("not safe")]


# ---------------------------------------------------------------- the word lists


@pytest.mark.parametrize(
    "text",
    [
        "He hit me last week.",
        "She pushed me against the wall.",
        "I'm scared of him.",
        "I don't feel safe at home.",
        "He threatened me.",
        "I want to kill myself.",
        "Sometimes I want to die.",
        "He has a gun in the house.",
        "I'm afraid he will hurt me.",
        "I'll kill you.",
        "She choked me.",
        "He is abusive.",
    ],
)
def test_danger_is_heard(text: str) -> None:
    assert danger(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "I would never hurt you.",
        "It hurt me when you forgot my birthday.",
        "You hurt my feelings.",
        "You push my buttons.",
        "I feel safe with you.",
        "I didn't hit you.",
        "I am afraid he will leave me.",
        "Do you feel safe right now?",
        "I felt lonely when you worked late.",
        "This is killing me, I'm so tired.",
    ],
)
def test_ordinary_repair_talk_is_not_danger(text: str) -> None:
    assert danger(text) is None


def test_the_safety_question_comes_right_after_the_breath_line() -> None:
    r = rehearse("pause")
    assert r.said()[:3] == ["pause.breath", "pause.safety", "pause.safety"]
