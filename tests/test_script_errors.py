"""Loading dialogue scripts: every fault names the file, the line and the step."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from voicecoach.dialogue import script as script_mod
from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.script import ScriptError, check_script, load_script
from voicecoach.errors import UserError

SHIPPED = ["session", "pause", "imago", "timeout", "appreciation"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error(path: Path) -> str:
    with pytest.raises(ScriptError) as info:
        check_script(path)
    return str(info.value)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scripts_are_valid(name: str) -> None:
    check_script(name)
    s = load_script(name)
    assert s.name == name and s.steps


def test_script_error_is_a_user_error() -> None:
    assert issubclass(ScriptError, UserError)


def test_a_name_resolves_to_the_repo_scripts_dir() -> None:
    s = load_script("imago")
    assert s.path == script_mod.REPO / "scripts" / "imago.yaml"


def test_user_scripts_dir_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        "timeout",
        """\
        steps:
          - id: only
            kind: say
            text: Mine.
        """,
    )
    monkeypatch.setattr(script_mod, "USER_DIR", tmp_path)
    assert list(load_script("timeout").steps) == ["only"]


def test_unknown_name() -> None:
    with pytest.raises(ScriptError, match="no such script"):
        load_script("no_such_script_here")


def test_the_example_message(tmp_path: Path) -> None:
    text = (script_mod.SHIPPED_DIR / "imago.yaml").read_text()
    broken = text.replace(
        "  - id: mirror\n    kind: listen\n    who: receiver\n",
        "  - id: mirror\n    kind: listen\n",
    )
    assert broken != text
    path = tmp_path / "imago.yaml"
    path.write_text(broken)
    line = broken.splitlines().index("  - id: mirror") + 1
    assert error(path) == (
        f"{path}, line {line}, step \"mirror\": 'listen' needs 'who' "
        "(sender, receiver or a partner name: partner1 or partner2)"
    )


def test_messages_in_the_repo_use_a_short_path() -> None:
    checker = script_mod._Checker(script_mod.SHIPPED_DIR / "imago.yaml")
    assert str(checker.fail(12, "x", "mirror")) == 'scripts/imago.yaml, line 12, step "mirror": x'


CASES = [
    (
        "unknown kind",
        """\
        steps:
          - id: hello
            kind: sing
            text: Hi.
        """,
        3,
        "hello",
        "unknown step kind 'sing' (expected one of say, ask",
    ),
    (
        "missing kind",
        """\
        steps:
          - id: hello
            text: Hi.
        """,
        2,
        "hello",
        "missing 'kind'",
    ),
    (
        "missing field",
        """\
        steps:
          - id: hello
            kind: say
        """,
        2,
        "hello",
        "'say' needs 'text' the words to say",
    ),
    (
        "field of another kind",
        """\
        steps:
          - id: hello
            kind: say
            text: Hi.
            who: sender
        """,
        5,
        "hello",
        "'say' does not take 'who' (it takes: next, text, to, must_hear)",
    ),
    (
        "missing step",
        """\
        steps:
          - id: hello
            kind: say
            text: Hi.
            next: goodbye
        """,
        5,
        "hello",
        "refers to step 'goodbye', which does not exist",
    ),
    (
        "missing answer target",
        """\
        steps:
          - id: q
            kind: ask
            to: partner1
            expect: yesno
            text: Ready?
            on:
              yes: go
              no: nowhere
          - id: go
            kind: end
        """,
        9,
        "q",
        "refers to step 'nowhere'",
    ),
    (
        "loop without exit",
        """\
        steps:
          - id: more
            kind: loop
            to: sender
            text: Is there more?
            repeat: tell
            exit: more
          - id: tell
            kind: listen
            who: sender
            next: more
          - id: turn
            kind: swap
        """,
        2,
        "more",
        "a loop without an exit",
    ),
    (
        "loop missing exit",
        """\
        steps:
          - id: more
            kind: loop
            to: sender
            text: Is there more?
            repeat: more
        """,
        2,
        "more",
        "'loop' needs 'exit' the step to go to when the answer is no",
    ),
    (
        "loop body never returns",
        """\
        steps:
          - id: more
            kind: loop
            to: partner1
            text: Is there more?
            repeat: tell
            exit: done
          - id: tell
            kind: say
            text: Go on.
          - id: done
            kind: end
        """,
        2,
        "more",
        "never come back to this loop",
    ),
    (
        "no swap",
        """\
        steps:
          - id: send
            kind: listen
            who: sender
          - id: mirror
            kind: listen
            who: receiver
        """,
        2,
        "send",
        "a partner is left without a turn",
    ),
    (
        "one partner only",
        """\
        steps:
          - id: first
            kind: listen
            who: partner1
        """,
        2,
        "first",
        "partner2 never does",
    ),
    (
        "bad variable",
        """\
        steps:
          - id: hello
            kind: say
            text: "Hello {sendr}."
        """,
        4,
        "hello",
        "unknown variable {sendr} in 'text' (known: {duration}",
    ),
    (
        "attribute in a variable",
        """\
        steps:
          - id: hello
            kind: say
            text: "Hello {sender.name}."
        """,
        4,
        "hello",
        "unknown variable {sender.name}",
    ),
    (
        "stray brace",
        """\
        steps:
          - id: hello
            kind: say
            text: "Hello {sender."
        """,
        4,
        "hello",
        "stray '{' or '}'",
    ),
    (
        "bad who",
        """\
        steps:
          - id: hello
            kind: listen
            who: everybody
        """,
        4,
        "hello",
        "'listen' needs 'who' (sender, receiver, partner1 or partner2), not 'everybody'",
    ),
    (
        "wrong type",
        """\
        steps:
          - id: hello
            kind: listen
            who: partner1
            max: soon
          - id: other
            kind: listen
            who: partner2
        """,
        5,
        "hello",
        "'max' must be a number",
    ),
    (
        "duplicate id",
        """\
        steps:
          - id: hello
            kind: say
            text: Hi.
          - id: hello
            kind: say
            text: Hi again.
        """,
        5,
        "hello",
        "two steps are named 'hello'",
    ),
    (
        "bad answer key",
        """\
        steps:
          - id: q
            kind: ask
            to: partner1
            expect: yesno
            text: Ready?
            on: {maybe: q}
        """,
        7,
        "q",
        "'on' has 'maybe', expected one of: yes, no, unsure",
    ),
    (
        "one choice",
        """\
        steps:
          - id: q
            kind: ask
            to: either
            expect: choice
            text: Tea?
            choices: {tea: [tea]}
        """,
        7,
        "q",
        "needs 'choices' (two or more)",
    ),
    (
        "safety without a no branch",
        """\
        steps:
          - id: q
            kind: ask
            to: each
            expect: yesno
            safety: true
            text: "{to}, do you feel safe?"
        """,
        6,
        "q",
        "a safety question needs 'expect: yesno' and 'on: no:'",
    ),
    (
        "bad condition",
        """\
        steps:
          - id: b
            kind: branch
            if: sunny
            then: b
            else: b
        """,
        4,
        "b",
        "'if' must be one of mirror_missed, first_round, second_round",
    ),
    (
        "bad id",
        """\
        steps:
          - id: Hello World
            kind: say
            text: Hi.
        """,
        2,
        "Hello World",
        "each step needs 'id'",
    ),
]


@pytest.mark.parametrize("case,text,line,step,expected", CASES, ids=[c[0] for c in CASES])
def test_errors_name_file_line_step_and_expectation(
    tmp_path: Path, case: str, text: str, line: int, step: str | None, expected: str
) -> None:
    path = write(tmp_path, "broken", text)
    message = error(path)
    prefix = f"{path}, line {line}" + (f', step "{step}"' if step else "") + ": "
    assert message.startswith(prefix), message
    assert expected in message, message


@pytest.mark.parametrize(
    "text,expected",
    [
        ("steps:\n\t- id: a\n", "line 2: a tab in the indentation; indent with spaces"),
        ("steps: [\n", "this is not valid YAML"),
        ("- just\n- a list\n", "a script must be a map with 'steps:'"),
        ("", "a script must be a map"),
        ("steps: []\n", "'steps' must be a non-empty list"),
        ("stepz:\n  - id: a\n", "unknown key 'stepz'"),
        ("steps:\n  - just a string\n", "line 2: each step must be a map"),
        ("a: 1\n---\nb: 2\n", "not valid YAML"),
        ("steps: !!python/object:os.system {}\n", "not valid YAML"),
    ],
)
def test_broken_files(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    assert expected in error(path)


def test_yes_no_and_on_are_words_not_booleans(tmp_path: Path) -> None:
    s = load_script("pause")
    assert set(s.steps["safety"].on) == {"yes", "no", "unsure"}


def test_check_script_checks_called_scripts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "caller",
        """\
        steps:
          - id: go
            kind: run
            script: not_there_at_all
        """,
    )
    assert error(path) == (
        f"{path}, line 4, step \"go\": runs the script 'not_there_at_all', which does not "
        f"exist (looked for not_there_at_all.yaml next to it, in "
        f"{script_mod.display(script_mod.USER_DIR)} and in "
        f"{script_mod.display(script_mod.SHIPPED_DIR)})"
    )


def test_run_in_a_circle_is_refused(tmp_path: Path) -> None:
    a = write(tmp_path, "aaa", "steps:\n  - {id: go, kind: run, script: bbb}\n")
    b = write(tmp_path, "bbb", "steps:\n  - {id: go, kind: run, script: aaa}\n")
    scripts = {"aaa": load_script(a), "bbb": load_script(b)}
    with pytest.raises(ScriptError, match=re.escape("aaa -> bbb -> aaa")):
        Engine(scripts, ("Alex", "Sam"), entry="aaa")
    # `scripts check` names the file, the line and the run step that closes the circle.
    message = error(a)
    assert message.startswith(f'{a}, line 2, step "go": ') or message.startswith(
        f'{b}, line 2, step "go": '
    )
    assert "scripts run each other in a circle" in message


def test_engine_rejects_unknown_settings() -> None:
    with pytest.raises(UserError, match="unknown dialogue setting"):
        Engine(None, ("Alex", "Sam"), settings={"timout_s": 5})


def test_engine_needs_two_different_partners() -> None:
    with pytest.raises(ValueError):
        Engine(None, ("Alex", "Alex"))


def test_available_scripts_lists_the_shipped_ones() -> None:
    assert set(SHIPPED) <= set(script_mod.available_scripts())
