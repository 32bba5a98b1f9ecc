"""The less travelled corners of the script language, run through the engine."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import EndSession, Listen, Say, Show
from voicecoach.dialogue.script import Script, load_script
from voicecoach.lab.rehearse import Rehearsal

PARTNERS = ("Alex", "Sam")


def script(tmp_path: Path, name: str, text: str) -> Script:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return load_script(path)


def test_free_answers_choices_and_variables(tmp_path: Path) -> None:
    main = script(
        tmp_path,
        "main",
        """\
        steps:
          - id: wish
            kind: ask
            to: partner2
            expect: free
            text: "{to}, what would you like tonight?"
            on: {any: echo}
          - id: never
            kind: say
            text: Never said.
            next: tea
          - id: echo
            kind: say
            text: "You said: {said}"
          - id: drink
            kind: ask
            to: either
            expect: choice
            text: Tea or coffee?
            choices:
              tea: [tea]
              coffee: [coffee, espresso]
            on: {tea: never, coffee: coffee}
          - id: tea
            kind: end
            result: tea
          - id: coffee
            kind: end
            result: coffee
        """,
    )
    engine = Engine({"main": main}, PARTNERS, entry="main")
    r = Rehearsal(engine, {"main.wish@Sam": "A quiet walk.", "main.drink": "An espresso."})
    r.run(until=200)
    texts = [a.text for a in r.actions(Say)]
    assert texts[:2] == ["Sam, what would you like tonight?", "You said: A quiet walk."]
    assert [a.speaker for a in r.actions(Listen)] == ["Sam", "both"]
    assert r.actions(EndSession) == [EndSession("coffee")]


def test_run_results_branch_in_the_caller_and_rounds(tmp_path: Path) -> None:
    inner = script(
        tmp_path,
        "inner",
        """\
        steps:
          - id: q
            kind: ask
            to: partner1
            expect: yesno
            text: Again?
            on: {yes: again, no: enough}
          - id: again
            kind: end
            result: again
          - id: enough
            kind: end
        """,
    )
    outer = script(
        tmp_path,
        "outer",
        """\
        steps:
          - id: start
            kind: run
            script: inner
            on: {again: turn}
          - id: bye
            kind: say
            text: "Bye, round {round}."
          - id: fin
            kind: end
          - id: turn
            kind: swap
          - id: which
            kind: branch
            if: second_round
            then: start
            else: bye
        """,
    )
    engine = Engine(lambda name: {"inner": inner, "outer": outer}[name], PARTNERS, entry="outer")
    r = Rehearsal(engine, {"inner.q": ["Yes.", "No."]}).run(until=300)
    assert r.actions(Say)[-1].text == "Bye, round 2."
    assert engine.roles == ("Sam", "Alex")
    assert r.actions(EndSession) == [EndSession("done")]


def test_timer_in_seconds_breathe_pace_and_monitor_max(tmp_path: Path) -> None:
    s = script(
        tmp_path,
        "quiet",
        """\
        steps:
          - id: wait
            kind: timer
            length: 5
            checkin: Back.
          - id: breath
            kind: breathe
            cycles: 1
            in: 2
            out: 3
          - id: watch
            kind: monitor
            max: 10
          - id: done
            kind: say
            text: Done watching.
        """,
    )
    engine = Engine({"quiet": s}, PARTNERS, entry="quiet")
    r = Rehearsal(engine).run(until=200)
    says = [(t, x.text) for t, x in r.log if isinstance(x, Say)]
    assert [x for _, x in says] == [
        "Back.",
        "Breathe in, slowly...",
        "and out...",
        "Done watching.",
    ]
    t_show = next(t for t, x in r.log if isinstance(x, Show) and x.kind == "timer")
    assert says[0][0] - t_show == pytest.approx(5.0, abs=0.05)
    assert says[2][0] - says[1][0] == pytest.approx(2.0, abs=0.05)
    t_watch = next(t for t, x in r.log if isinstance(x, Listen) and x.step == "quiet.watch")
    assert says[3][0] - t_watch == pytest.approx(10.0, abs=0.05)
    assert r.actions(EndSession) == [EndSession("done")]


def test_help_then_only_words_and_the_end(tmp_path: Path) -> None:
    s = script(
        tmp_path,
        "helper",
        """\
        steps:
          - id: info
            kind: help
          - id: line
            kind: say
            text: Take care.
          - id: more
            kind: enroll
            who: partner1
            text: Tell me more.
          - id: other
            kind: enroll
            who: partner2
            text: And you.
        """,
    )
    engine = Engine(
        {"helper": s}, PARTNERS, entry="helper", settings={"help_text": "Call someone you trust."}
    )
    r = Rehearsal(engine).run(until=100)
    assert r.actions(Show) == [Show("Call someone you trust.", kind="help")]
    assert [a.text for a in r.actions(Say)] == ["Take care."]
    assert not r.actions(Listen)  # help was shown: no exercise step runs after it
    assert r.actions(EndSession) == [EndSession("not safe")]


def test_running_off_the_end_is_done(tmp_path: Path) -> None:
    s = script(tmp_path, "short", "steps:\n  - {id: hi, kind: say, text: Hi.}\n")
    r = Rehearsal(Engine({"short": s}, PARTNERS, entry="short")).run(until=30)
    assert r.actions(EndSession) == [EndSession("done")]
