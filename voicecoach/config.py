"""The user's settings: one YAML file in their config folder, overridden by flags.

``settings.yaml`` lives in ``platformdirs.user_config_dir("voicecoach")``
(``~/.config/voicecoach`` on Linux; ``$VOICECOACH_CONFIG`` names another file). Every key
has a default, so the file holds only what someone changed. A bad file is reported with
the file, the key and the allowed values, never a traceback. ``voicecoach config`` shows
the effective settings and where each comes from.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from voicecoach.errors import UserError

log = logging.getLogger(__name__)

APP = "voicecoach"
FILE_NAME = "settings.yaml"


def config_dir() -> Path:
    """The user's voicecoach config folder (settings, their own scripts and voices)."""
    import platformdirs

    env = os.environ.get("VOICECOACH_CONFIG")
    if env:
        return Path(env).expanduser().parent
    return Path(platformdirs.user_config_dir(APP))


def config_path() -> Path:
    env = os.environ.get("VOICECOACH_CONFIG")
    return Path(env).expanduser() if env else config_dir() / FILE_NAME


def profile_dir(settings: Settings) -> Path:
    """The voice profiles' folder: the setting, else $VOICECOACH_PROFILE_DIR, else the
    user's data folder's ``profiles/``."""
    if settings.profile_dir:
        return Path(settings.profile_dir)
    env = os.environ.get("VOICECOACH_PROFILE_DIR")
    return Path(env).expanduser() if env else data_dir() / "profiles"


def data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP))


# ------------------------------------------------------------------ the keys


def _names(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, str) and v.strip() for v in value)
        or value[0].strip() == value[1].strip()
    ):
        raise ValueError
    return value[0].strip(), value[1].strip()


def _number(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if not low <= number <= high:
            raise ValueError
        return number

    return parse


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if str(value) not in allowed:
            raise ValueError
        return str(value)

    return parse


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError


def _text(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value):
        raise ValueError
    return str(value)


def _country(value: Any) -> str:
    from voicecoach.dialogue.helpinfo import country_code

    try:
        return country_code(_text(value))
    except UserError:
        raise ValueError from None


def _path(value: Any) -> Path:
    return Path(_text(value)).expanduser()


@dataclass(frozen=True)
class Key:
    name: str
    default: Callable[[], Any]
    parse: Callable[[Any], Any]
    allowed: str  # said to the user when a value does not parse
    help: str


SENSITIVITY_ON = {"low": 0.8, "normal": 0.65, "high": 0.5}
"""Raised-voice threshold per sensitivity. Only "normal" is the validated default (see
perception/raised.py); "low" asks for clearer anger, "high" reacts sooner and will alarm
more often on excited but friendly talk."""

KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("partners", lambda: ("Alex", "Sam"), _names, "two different names, e.g. Alex,Sam",
            "the partners' names"),
        Key("voice", lambda: "en_US-joe-medium", _text, "a voice from `voicecoach voices`",
            "the coach's Piper voice"),
        Key("pace", lambda: 1.0, _number(0.5, 2.0), "a number from 0.5 (slow) to 2.0 (fast)",
            "the coach's speaking pace (1.0: calm default)"),
        Key("volume", lambda: 1.0, _number(0.1, 1.0), "a number from 0.1 to 1.0",
            "the coach's volume"),
        Key("sensitivity", lambda: "normal", _choice(*SENSITIVITY_ON),
            "low, normal or high", "how readily a raised voice counts as heat"),
        Key("country", lambda: None, _country, "one of US, CA, GB, IE, AU, NZ, DE or INT",
            "where you live, for the help information (default: from the system locale)"),
        Key("model", lambda: "base", _choice("base", "tiny.en"), "base or tiny.en",
            "the Whisper model (tiny.en is faster, less accurate)"),
        Key("timeout_min", lambda: 20.0, _number(1.0, 120.0), "minutes, from 1 to 120",
            "length of a timeout apart, minutes"),
        Key("speak_help", lambda: False, _flag, "true or false",
            "also read help information aloud (off: shown on screen only)"),
        Key("log_dir", lambda: data_dir() / "sessions", _path, "a folder path",
            "where session folders (events.jsonl, report) go"),
        Key("profile_dir", lambda: None, _path, "a folder path",
            "where the partners' voice profiles are kept (automatic: "
            "$VOICECOACH_PROFILE_DIR, else the data folder's profiles/)"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Effective settings and where each came from ("default", the file, or "flag")."""

    values: dict[str, Any]
    sources: dict[str, str]
    path: Path

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def with_flags(self, flags: dict[str, Any]) -> Settings:
        """These settings with command-line values (None: flag not given) on top."""
        values, sources = dict(self.values), dict(self.sources)
        for key, value in flags.items():
            if value is None:
                continue
            try:
                values[key] = KEYS[key].parse(value)
            except (ValueError, TypeError):
                # Kept as given: the command's own checks say what is wrong with it
                # (e.g. "Unknown Whisper model"), before anything is loaded.
                values[key] = value
            sources[key] = "flag"
        return Settings(values, sources, self.path)


def _problem(path: Path, key: str, value: Any) -> UserError:
    k = KEYS[key]
    return UserError(f"{path}: '{key}' is {value!r}, but it must be {k.allowed}.")


def read_file(path: Path) -> dict[str, Any]:
    """The raw mapping in a settings file ({} when there is none); UserError if broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the settings file ({exc}).") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise UserError(
            f"{path}{where}: not valid YAML. Write one 'key: value' per line; "
            "`voicecoach config` lists the keys."
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected 'key: value' lines, e.g. 'model: tiny.en'.")
    return data


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    raw = read_file(path)
    values = {name: k.default() for name, k in KEYS.items()}
    sources = dict.fromkeys(KEYS, "default")
    for key, value in raw.items():
        if key not in KEYS:
            raise UserError(f"{path}: unknown key '{key}'. Known keys: {', '.join(KEYS)}.")
        try:
            values[key] = KEYS[key].parse(value)
        except (ValueError, TypeError):
            raise _problem(path, key, value) from None
        sources[key] = str(path)
    return Settings(values, sources, path)


def set_value(key: str, text: str, path: Path | None = None) -> Any:
    """Change one key in the settings file (created 0600 if missing); the parsed value."""
    path = path or config_path()
    if key not in KEYS:
        raise UserError(f"Unknown setting '{key}'. Known keys: {', '.join(KEYS)}.")
    raw = read_file(path)
    try:
        value = KEYS[key].parse(yaml.safe_load(text) if key != "partners" else text)
    except (ValueError, TypeError, yaml.YAMLError):
        raise UserError(f"'{key}' cannot be {text!r}: it must be {KEYS[key].allowed}.") from None
    raw[key] = _plain(value)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# voicecoach settings: `voicecoach config` lists every key.\n")
        yaml.safe_dump(raw, fh, sort_keys=False, allow_unicode=True)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def show(value: Any) -> str:
    if value is None:
        return "(automatic)"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return str(value)


def format_settings(s: Settings) -> str:
    width = max(len(k) for k in KEYS)
    lines = [f"Settings file: {s.path}" + ("" if s.path.is_file() else " (not created yet)")]
    for key in KEYS:
        source = s.sources[key]
        where = "default" if source == "default" else ("flag" if source == "flag" else "file")
        lines.append(f"  {key.ljust(width)}  {show(s.values[key])}  [{where}]")
    return "\n".join(lines)


# ------------------------------------------------------------------ flags


FLAG_KEYS = {
    "partners": "partners",
    "voice": "voice",
    "model": "model",
    "log_dir": "log_dir",
    "country": "country",
    "profile_dir": "profile_dir",
}
"""Command-line option (argparse dest) -> settings key it overrides."""


def effective(args: argparse.Namespace) -> Settings:
    """The settings file with the flags given on the command line on top; the flags'
    attributes on ``args`` are filled in from the settings where not given."""
    settings = load_settings().with_flags(
        {key: getattr(args, dest, None) for dest, key in FLAG_KEYS.items()}
    )
    if getattr(args, "speak_help", False):
        settings = settings.with_flags({"speak_help": True})
    for dest, key in FLAG_KEYS.items():
        if hasattr(args, dest):
            setattr(args, dest, settings.values[key])
    if hasattr(args, "speak_help"):
        args.speak_help = settings.speak_help
    return settings


def engine_settings(settings: Settings) -> dict[str, Any]:
    """What the dialogue engine takes from the settings alone (see dialogue/settings.py);
    country and speak_help go through the command line's options (app.engine_settings)."""
    return {"timeout_s": 60.0 * settings.timeout_min}


def listener_config(settings: Settings) -> Any:
    """The listener's configuration for the chosen sensitivity (normal: the default)."""
    import dataclasses

    from voicecoach.perception.listener import ListenerConfig
    from voicecoach.perception.raised import RaisedConfig
    from voicecoach.perception.stages.heat import HeatSettings

    on = SENSITIVITY_ON[settings.sensitivity]
    return ListenerConfig(heat=HeatSettings(raised=dataclasses.replace(RaisedConfig(), on=on)))
