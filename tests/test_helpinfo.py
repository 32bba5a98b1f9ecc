"""Help where the couple lives: per-country lines from the shipped data file, each with
its source and the date it was checked; chosen by --country or the locale; never spoken
unless configured."""

from __future__ import annotations

import argparse
from importlib import resources

import pytest

from voicecoach.app import engine_settings
from voicecoach.cli import build_parser
from voicecoach.cli import main as cli_main
from voicecoach.dialogue import helpinfo
from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.helpinfo import (
    INTERNATIONAL,
    countries,
    country_code,
    help_text,
    locale_country,
    resolve_country,
)
from voicecoach.dialogue.protocol import Say, Show
from voicecoach.dialogue.settings import Settings
from voicecoach.errors import UserError
from voicecoach.lab.rehearse import Rehearsal, happy_replies

REQUIRED = ["US", "CA", "GB", "IE", "AU", "NZ", "DE", INTERNATIONAL]
DANGER = "He hit me last week and I am scared of him."

# Numbers the lines must carry (the well-known national ones).
NUMBERS = {
    "US": ["911", "988", "1-800-799-7233"],
    "CA": ["911", "988"],
    "GB": ["999", "116 123", "0808 2000 247"],
    "IE": ["112", "116 123", "1800 341 900"],
    "AU": ["000", "13 11 14", "1800 737 732"],
    "NZ": ["111", "1737", "0800 543 354"],
    "DE": ["112", "116 016", "0800 111 0 111", "0800 111 0 222"],
    INTERNATIONAL: ["112", "findahelpline.com"],
}


@pytest.mark.parametrize("code", REQUIRED)
def test_each_country_shows_its_lines_with_source_and_date(code: str) -> None:
    entry = countries()[code]
    text = help_text(code)
    assert entry.lines and entry.emergency
    for number in NUMBERS[code]:
        assert number in text
    for line in entry.lines:
        assert line.organisation and line.website
        assert f"{line.organisation}, {line.website}; checked {line.checked}" in text
        assert line.checked == "2026-12-07"


def test_the_data_file_says_it_must_be_reverified() -> None:
    raw = resources.files("voicecoach").joinpath("data", "helplines.yaml").read_text("utf-8")
    assert "re-verified" in raw and "before a release" in raw


def test_codes_are_case_blind_with_aliases_and_unknown_ones_list_the_choices() -> None:
    assert country_code("gb") == country_code("UK") == "GB"
    assert country_code("usa") == "US"
    with pytest.raises(UserError) as info:
        country_code("FR")
    message = str(info.value)
    for code in REQUIRED:
        assert code in message
    with pytest.raises(UserError):
        Settings.of({"help_country": "ZZ"})
    assert Settings.of({"help_country": "nz"}).help_country == "NZ"


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"LANG": "en_GB.UTF-8"}, "GB"),
        ({"LANG": "de_DE.UTF-8"}, "DE"),
        ({"LC_ALL": "en_IE.UTF-8", "LANG": "en_US.UTF-8"}, "IE"),  # LC_ALL wins
        ({"LC_MESSAGES": "en_NZ", "LANG": "en_US.UTF-8"}, "NZ"),
        ({"LANG": "fr_FR.UTF-8"}, INTERNATIONAL),  # no lines for France: the fallback
        ({"LANG": "C.UTF-8"}, INTERNATIONAL),
        ({}, INTERNATIONAL),
    ],
)
def test_the_locale_picks_the_country_when_none_is_given(env: dict, expected: str) -> None:
    assert resolve_country(None, env) == expected
    assert resolve_country("AU", env) == "AU"  # an explicit choice always wins


def test_locale_parsing() -> None:
    assert locale_country({"LANG": "en_AU.UTF-8@euro"}) == "AU"
    assert locale_country({"LANG": "POSIX"}) is None


def test_country_and_speak_help_options_reach_the_engine_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = build_parser()
    args = parser.parse_args(["run", "--country", "ie", "--speak-help"])
    assert engine_settings(args) == {"help_country": "IE", "speak_help": True}
    monkeypatch.setenv("LC_ALL", "en_AU.UTF-8")
    args = parser.parse_args(["demo"])
    assert engine_settings(args) == {"help_country": "AU", "speak_help": False}
    no_flags = argparse.Namespace(country=None, speak_help=False)
    assert engine_settings(no_flags) == {"help_country": "AU", "speak_help": False}


def test_an_unknown_country_on_the_command_line_is_one_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        cli_main(["run", "--country", "XX"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "no help information for country 'XX'" in err and "NZ" in err
    assert "Traceback" not in err


def _stopped(settings: dict) -> Rehearsal:
    table = happy_replies()
    table["imago.send"] = DANGER
    engine = Engine(None, ("Alex", "Sam"), entry="imago", settings=settings)
    return Rehearsal(engine, table).run(until=3000)


def test_the_engine_shows_the_chosen_country_and_never_reads_it_by_default() -> None:
    r = _stopped({"help_country": "NZ"})
    (show,) = [s for s in r.actions(Show) if s.kind == "help"]
    assert show.text == help_text("NZ")
    spoken = " ".join(a.text for a in r.actions(Say))
    assert "0800 543 354" not in spoken and "1737" not in spoken


def test_speak_help_reads_the_numbers_but_not_the_sources() -> None:
    r = _stopped({"help_country": "AU", "speak_help": True})
    stop = next(a for a in r.actions(Say) if a.id == "safety.stop")
    assert "13 11 14" in stop.text and "1800 737 732" in stop.text
    assert "source" not in stop.text and "checked" not in stop.text


def test_the_pause_scripts_help_step_uses_the_country_too() -> None:
    table = happy_replies()
    table["pause.safety@Sam"] = "No."
    engine = Engine(None, ("Alex", "Sam"), entry="pause", settings={"help_country": "DE"})
    r = Rehearsal(engine, table).run(until=3000)
    assert Show(help_text("DE"), kind="help") in r.actions(Show)


def test_every_listed_country_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache is per process; a fresh load must succeed from the package data.
    helpinfo.countries.cache_clear()
    assert set(REQUIRED) <= set(countries())


def test_the_helplines_command_shows_the_chosen_country_with_sources(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("VOICECOACH_CONFIG", str(tmp_path / "settings.yaml"))  # none yet
    assert cli_main(["helplines", "--country", "ie"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("IE: Ireland") and "1800 341 900" in out and "checked 2026-12-07" in out
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    assert cli_main(["helplines"]) == 0
    assert "116 016" in capsys.readouterr().out
    assert cli_main(["helplines", "--all"]) == 0
    out = capsys.readouterr().out
    assert all(f"\n{code}: " in "\n" + out for code in REQUIRED)


def test_the_settings_files_country_is_used_without_a_flag(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text("country: au\n", encoding="utf-8")
    monkeypatch.setenv("VOICECOACH_CONFIG", str(config))
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")  # the file wins over the locale
    assert cli_main(["helplines"]) == 0
    assert capsys.readouterr().out.startswith("AU: Australia")
    assert cli_main(["helplines", "--country", "NZ"]) == 0  # ... and a flag over the file
    assert capsys.readouterr().out.startswith("NZ: New Zealand")
