"""Private help information, shown on screen when someone may not be safe.

Shown, not read aloud (unless the ``speak_help`` setting says so): the partner who is
afraid may not want it heard. The lines are per country, from the shipped data file
``voicecoach/data/helplines.yaml``: each with its source (organisation and website) and
the date it was checked, both shown with it. ``INT`` is the international fallback.
``help_text``'s ``override`` replaces it all with the user's own text.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from voicecoach.errors import UserError

log = logging.getLogger(__name__)

INTERNATIONAL = "INT"
"""The entry shown where voicecoach has no lines for the couple's country."""

DATA_FILE = "helplines.yaml"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}_([A-Za-z]{2})(?:[.@].*)?$")


@dataclass(frozen=True)
class HelpLine:
    """One helpline and where its number comes from."""

    name: str
    serves: str  # who or what it is for, e.g. "domestic violence (free, 24/7)"
    contact: str  # how to reach it, e.g. "call 116 123"
    organisation: str  # source: who publishes the number
    website: str  # source: where it can be checked
    checked: str  # ISO date the entry was last checked

    def source(self) -> str:
        return f"source: {self.organisation}, {self.website}; checked {self.checked}"


@dataclass(frozen=True)
class CountryHelp:
    code: str
    name: str  # as it reads in a sentence: "the United Kingdom"
    emergency: str  # the emergency number (or how to reach emergency services)
    lines: tuple[HelpLine, ...]
    note: str = ""
    aliases: tuple[str, ...] = ()

    def text(self) -> str:
        """For the screen: each line with its source and the date it was checked."""
        out = [f"If you or someone else is in danger right now, call {self.emergency}."]
        for line in self.lines:
            out.append(f"{line.name}, for {line.serves}: {line.contact}.")
            out.append(f"   ({line.source()})")
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def spoken(self) -> str:
        """For reading aloud (only with ``speak_help``): the numbers, without the sources."""
        out = [f"If you or someone else is in danger right now, call {self.emergency}."]
        out += [f"{line.name}, for {line.serves}: {line.contact}." for line in self.lines]
        if self.note:
            out.append(self.note)
        return " ".join(out)


@functools.cache
def countries() -> dict[str, CountryHelp]:
    """Every country in the shipped data file, by ISO code (and ``INT``)."""
    raw = resources.files("voicecoach").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    out: dict[str, CountryHelp] = {}
    for code, entry in (data.get("countries") or {}).items():
        out[str(code)] = _country(str(code), entry)
    if INTERNATIONAL not in out:
        raise RuntimeError(f"{DATA_FILE} has no {INTERNATIONAL} (international) entry")
    return out


def _country(code: str, entry: Mapping[str, Any]) -> CountryHelp:
    """One country's entry, checked: a broken data file is a packaging bug, found at load."""
    lines: list[HelpLine] = []
    for item in entry["lines"]:
        line = HelpLine(
            name=str(item["name"]),
            serves=str(item["for"]),
            contact=str(item["contact"]),
            organisation=str(item["organisation"]),
            website=str(item["website"]),
            checked=str(item["checked"]),
        )
        if not (line.organisation and line.website and _DATE.match(line.checked)):
            raise RuntimeError(
                f"{DATA_FILE}: {code} {line.name!r} needs organisation, website and checked"
            )
        lines.append(line)
    return CountryHelp(
        code=code,
        name=str(entry["name"]),
        emergency=str(entry["emergency"]),
        lines=tuple(lines),
        note=str(entry.get("note") or ""),
        aliases=tuple(str(a).upper() for a in entry.get("aliases") or ()),
    )


def choices() -> str:
    """The country codes a user may give, for messages and --help."""
    table = countries()
    named = [c for c in table if c != INTERNATIONAL]
    return ", ".join(named) + f" or {INTERNATIONAL} (international)"


def country_code(text: str) -> str:
    """The code for ``text`` ("gb", "UK", "INT"); a clear UserError for anything else."""
    wanted = str(text).strip().upper()
    table = countries()
    if wanted in table:
        return wanted
    for code, entry in table.items():
        if wanted in entry.aliases:
            return code
    raise UserError(f"no help information for country {text!r}; choose one of {choices()}")


def locale_country(environ: Mapping[str, str] | None = None) -> str | None:
    """The territory of the system locale (``en_GB.UTF-8`` -> ``GB``), or None ("C")."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:  # the first one set decides, as for every POSIX program
            m = _LOCALE.match(value)
            return m.group(1).upper() if m else None
    return None


def resolve_country(given: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The help country for a session: as given (checked), else the locale's, else INT.

    A country given by the user that voicecoach has no lines for is an error (they asked
    for it); a locale's country without lines falls back to the international entry.
    """
    if given:
        return country_code(given)
    found = locale_country(environ)
    if found is None:
        log.info("no country in the locale: international help information")
        return INTERNATIONAL
    try:
        code = country_code(found)
    except UserError:
        log.info("no help lines for %s (from the locale): international ones", found)
        return INTERNATIONAL
    log.info("help information for %s (from the locale)", code)
    return code


def help_for(country: str) -> CountryHelp:
    return countries()[country_code(country)]


def help_text(country: str = "US", override: str | None = None) -> str:
    """The help information to show for ``country`` (ISO code, e.g. "US", "GB")."""
    if override:
        return override
    return help_for(country).text()


def spoken_help(country: str = "US", override: str | None = None) -> str:
    """The help information as it is read aloud (only with the ``speak_help`` setting)."""
    if override:
        return override
    return help_for(country).spoken()
