"""The engine's settings: lengths of waits and where help information comes from."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicecoach.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    timeout_s: float = 1200.0  # a timeout apart: ~20 min lets the body calm down
    help_country: str = "US"  # ISO code (or INT); see voicecoach/data/helplines.yaml
    help_text: str | None = None  # overrides the per-country help information
    speak_help: bool = False  # read the help information aloud too (off: it may be private)
    turn_end_s: float = 0.35  # silence that ends a turn after a finished sentence: about
    # the gap people leave between turns; a trailing "and I..." waits much longer (below)
    turn_end_incomplete_s: float = 2.0  # ... after a sentence that trails off ("and I...").
    # 2.5 s cut off no fewer within-turn pauses in the real phone dialogues' tuning half
    # (voicecoach.lab.turntaking) and put the messages' p95 at 2.5 s
    message_end_s: float = 0.7  # a sender's message, after a finished sentence: a
    # trailing "...and I" or "let me think" still waits turn_end_incomplete_s, and a sender
    # who goes on as the coach begins gets the floor back (engine Reopen). Was 1.2 s:
    # messages took 2.1 s to answer (issue #19); see `voicecoach.lab.turntaking`
    silence_s: float = 15.0  # no word at all for this long: a gentle re-prompt
    breathe_in_s: float = 4.0
    breathe_out_s: float = 6.0  # a longer out-breath is the calming part
    heat_gap_wait_s: float = 1.5  # on heat, wait for a breath in the speech at most this
    # long after the heat's onset (not after the alarm, which comes ~1 s later, nor after
    # the latest of several alarms); then the pause is said firmly over the fight
    slower_rate: float = 0.85  # "slower": speaking rate multiplier per request
    max_holds: int = 2  # "let X finish" at most this often per turn (then let it be)
    max_heat_pauses: int = 2  # heat inside an exercise: pause and resume this often, then stop

    @classmethod
    def of(cls, value: Settings | Mapping[str, Any] | None) -> Settings:
        """Settings from a Settings, a mapping (e.g. read from a config file) or None."""
        if value is None:
            return cls()
        if isinstance(value, Settings):
            return value
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise UserError(
                f"unknown dialogue setting(s): {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(known))})"
            )
        values: dict[str, Any] = {}
        defaults = cls()
        for name, given in value.items():
            default = getattr(defaults, name)
            values[name] = _coerce(name, given, default)
        if "help_country" in values:
            from voicecoach.dialogue.helpinfo import country_code

            values["help_country"] = country_code(values["help_country"])
        return cls(**values)


def _coerce(name: str, given: Any, default: Any) -> Any:
    """Check a setting's type against its default (settings often come from a file)."""
    if isinstance(default, bool):
        if isinstance(given, bool):
            return given
    elif isinstance(default, int | float):
        if isinstance(given, int | float) and not isinstance(given, bool):
            low_ok = given >= 0 if isinstance(default, int) else given > 0  # 0 holds: never
            if low_ok:
                return type(default)(given)
    elif isinstance(default, str) or default is None:
        if isinstance(given, str) or (default is None and given is None):
            return given
    raise UserError(f"dialogue setting {name!r} must be like {default!r}, not {given!r}")
