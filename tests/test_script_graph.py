"""Scripts that always end (issue #17, item 5): `scripts check` refuses steps that can
never be reached, circles of steps with no way out, and scripts with no end, naming the
file, the line and the step. The shipped scripts pass."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from voicecoach.cli import main as cli_main
from voicecoach.dialogue.script import SHIPPED_DIR, ScriptError, check_script

SHIPPED = sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error(path: Path) -> str:
    with pytest.raises(ScriptError) as info:
        check_script(path)
    return str(info.value)


def line_of(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_scripts_still_pass(name: str) -> None:
    check_script(SHIPPED_DIR / f"{name}.yaml")


def test_steps_that_next_each_other_in_a_circle(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "circle",
        """\
        steps:
          - id: hello
            kind: say
            text: Hello.
          - id: first
            kind: say
            text: One.
            next: second
          - id: second
            kind: say
            text: Two.
            next: first
          - id: done
            kind: end
        """,
    )
    message = error(path)
    line = line_of(path, "  - id: first")
    assert message.startswith(f'{path}, line {line}, step "first": ')
    assert "circle with no way out: first -> second -> first" in message


def test_a_circle_through_a_question_with_no_answer_that_leaves(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "asking",
        """\
        steps:
          - id: q
            kind: ask
            to: partner1
            expect: yesno
            text: Ready?
            on: {yes: again, no: again, unsure: again}
          - id: again
            kind: say
            text: Let's try again.
            next: q
          - id: done
            kind: end
        """,
    )
    assert "circle with no way out: q -> again -> q" in error(path)


def test_a_circle_with_a_way_out_is_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "retry",
        """\
        steps:
          - id: q
            kind: ask
            to: partner1
            expect: yesno
            text: Ready?
            on: {yes: done, no: again}
          - id: again
            kind: say
            text: Let's try again.
            next: q
          - id: done
            kind: end
        """,
    )
    check_script(path)


def test_a_step_nothing_leads_to(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "orphan",
        """\
        steps:
          - id: hello
            kind: say
            text: Hello.
            next: bye
          - id: lost
            kind: say
            text: Nobody ever hears this.
          - id: bye
            kind: end
        """,
    )
    line = line_of(path, "  - id: lost")
    assert error(path) == (
        f'{path}, line {line}, step "lost": this step can never be reached: no step '
        "before it goes here (point a 'next', an answer or a branch at 'lost', or remove it)"
    )


def test_a_script_with_no_end_at_all(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "endless",
        """\
        steps:
          - id: hello
            kind: say
            text: Hello.
          - id: again
            kind: say
            text: And again.
            next: hello
        """,
    )
    line = line_of(path, "  - id: again")
    message = error(path)
    assert message.startswith(f'{path}, line {line}, step "again": the script never ends')
    assert "no 'end' step" in message


def test_a_loop_whose_exit_only_leads_back_in(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "loopy",
        """\
        steps:
          - id: talk
            kind: say
            text: Tell me.
          - id: more
            kind: loop
            to: partner1
            text: Is there more?
            repeat: talk
            exit: after
          - id: after
            kind: say
            text: Thanks.
            next: talk
          - id: done
            kind: end
        """,
    )
    assert "circle with no way out: talk -> more -> talk" in error(path)


def test_scripts_check_names_the_step_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "circle",
        """\
        steps:
          - id: a
            kind: say
            text: A.
            next: b
          - id: b
            kind: say
            text: B.
            next: a
          - id: c
            kind: end
        """,
    )
    assert cli_main(["scripts", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f'{path}, line 2, step "a"' in err and "Traceback" not in err
