"""Settings: the YAML file in the config folder, `voicecoach config`, flags on top."""

from __future__ import annotations

import argparse
import stat

import pytest

from voicecoach import config
from voicecoach.cli import build_parser
from voicecoach.cli import main as cli_main


@pytest.fixture
def cfg_home(tmp_path, monkeypatch):
    monkeypatch.delenv("VOICECOACH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "cfg" / "voicecoach"


def test_config_shows_defaults_and_where_each_comes_from(cfg_home, capsys):
    assert cli_main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(cfg_home / "settings.yaml")
    assert cli_main(["config"]) == 0
    out = capsys.readouterr().out
    assert "(not created yet)" in out
    assert "partners     Alex,Sam  [default]" in out
    assert f"log_dir      {cfg_home.parent.parent / 'data' / 'voicecoach' / 'sessions'}" in out


def test_config_set_writes_a_private_file_and_shows_its_source(cfg_home, capsys):
    assert cli_main(["config", "set", "partners", "Robin,Kim"]) == 0
    assert cli_main(["config", "set", "timeout_min", "5"]) == 0
    assert cli_main(["config", "set", "speak_help", "yes"]) == 0
    path = cfg_home / "settings.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    capsys.readouterr()
    assert cli_main(["config"]) == 0
    out = capsys.readouterr().out
    assert "partners     Robin,Kim  [file]" in out
    assert "timeout_min  5.0  [file]" in out and "speak_help   True  [file]" in out
    assert "model        base  [default]" in out
    s = config.load_settings()
    assert config.engine_settings(s) == {"timeout_s": 300.0} and s.speak_help is True


def test_config_set_refuses_a_bad_value_or_key(cfg_home, capsys):
    assert cli_main(["config", "set", "model", "huge"]) == 2
    assert "'model' cannot be 'huge': it must be base or tiny.en." in capsys.readouterr().err
    assert cli_main(["config", "set", "colour", "blue"]) == 2
    err = capsys.readouterr().err
    assert "Unknown setting 'colour'" in err and "sensitivity" in err
    assert not (cfg_home / "settings.yaml").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model: huge\n", "'model' is 'huge', but it must be base or tiny.en."),
        ("pace: 7\n", "'pace' is 7, but it must be a number from 0.5 (slow) to 2.0 (fast)."),
        ("partners: [Alex]\n", "'partners' is ['Alex'], but it must be two different names"),
        ("colour: blue\n", "unknown key 'colour'. Known keys: partners, voice,"),
        ("model: [base\n", ", line 2: not valid YAML."),
        ("- just a list\n", "expected 'key: value' lines"),
    ],
)
def test_a_broken_settings_file_names_file_key_and_allowed_values(cfg_home, capsys, text, expected):
    cfg_home.mkdir(parents=True)
    path = cfg_home / "settings.yaml"
    path.write_text(text)
    assert cli_main(["config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"voicecoach: {path}") and expected in err
    assert "Traceback" not in err


def test_flags_override_the_file_and_fill_unset_options(cfg_home):
    config.set_value("model", "tiny.en")
    config.set_value("partners", "Robin,Kim")
    config.set_value("voice", "en_US-joe-medium")
    parser = build_parser()
    args = parser.parse_args(["run", "--partners", "Ana,Bo"])
    s = config.effective(args)
    assert args.partners == ("Ana", "Bo") and s.sources["partners"] == "flag"
    assert args.model == "tiny.en" and s.sources["model"] == str(cfg_home / "settings.yaml")
    assert args.voice == "en_US-joe-medium"
    args = parser.parse_args(["run", "--model", "base"])
    assert config.effective(args).model == "base" and args.partners == ("Robin", "Kim")


def test_sensitivity_maps_onto_the_raised_voice_threshold(cfg_home):
    config.set_value("sensitivity", "high")
    lc = config.listener_config(config.load_settings())
    assert lc.heat.raised.on == 0.5
    default = config.listener_config(config.load_settings().with_flags({"sensitivity": "normal"}))
    from voicecoach.perception.raised import RaisedConfig

    assert default.heat.raised == RaisedConfig()  # normal: exactly the validated default


def test_user_scripts_in_the_config_folder_override_shipped_ones(cfg_home, capsys, monkeypatch):
    from voicecoach.dialogue import script as script_mod

    user = cfg_home / "scripts"
    user.mkdir(parents=True)
    (user / "pause.yaml").write_text((script_mod.SHIPPED_DIR / "pause.yaml").read_text())
    monkeypatch.setattr(script_mod, "USER_DIR", user)
    assert cli_main(["scripts", "list"]) == 0
    lines = {ln.split()[0]: ln.split()[1] for ln in capsys.readouterr().out.splitlines()}
    assert lines["pause"] == "yours" and lines["imago"] == "shipped"
    assert script_mod.resolve("pause") == user / "pause.yaml"


def test_every_help_ends_with_examples():
    parser = build_parser()
    assert "examples:" in parser.format_help()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parsers: dict[str, argparse.ArgumentParser] = dict(sub.choices)
    for name, p in sub.choices.items():  # and their actions: scripts list, config set...
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.update({f"{name} {a}": c for a, c in action.choices.items()})
    for name, p in parsers.items():
        text = p.format_help().rstrip()
        tail = text[text.rindex("\n\n") :]
        assert "examples:" in tail and "voicecoach " in tail, name
    set_help = parsers["config set"].format_help()
    assert "voicecoach config set model tiny.en" in set_help and "config path" not in set_help


def test_profile_dir_setting_reaches_the_profile_commands(cfg_home, tmp_path, capsys):
    pytest.importorskip("voicecoach.profiles")
    assert cli_main(["config", "set", "profile_dir", str(tmp_path / "voices")]) == 0
    capsys.readouterr()
    assert cli_main(["profiles"]) == 0
    assert f"No voice profiles in {tmp_path / 'voices'}" in capsys.readouterr().out
    assert cli_main(["profiles", "--profile-dir", str(tmp_path / "other")]) == 0
    assert str(tmp_path / "other") in capsys.readouterr().out  # the flag wins
