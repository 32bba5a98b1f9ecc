"""`voicecoach helplines`: the help information a session would show, and its sources."""

from __future__ import annotations

import argparse

from voicecoach.cli.options import country

NAME = "helplines"
HELP = "show the help lines for your country, with their sources and dates checked"
EXAMPLES = [
    "voicecoach helplines",
    "voicecoach helplines --country GB",
    "voicecoach helplines --all",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--country",
        type=country,
        help="US, CA, GB, IE, AU, NZ, DE or INT (default: from the system locale, else INT)",
    )
    p.add_argument("--all", action="store_true", help="every country voicecoach has lines for")


def main(args: argparse.Namespace) -> int:
    from voicecoach.config import effective
    from voicecoach.dialogue.helpinfo import countries, help_for, resolve_country

    effective(args)  # the settings file's country where --country is not given
    chosen = list(countries()) if args.all else [resolve_country(args.country)]
    for code in chosen:
        entry = help_for(code)
        print(f"{code}: {entry.name}\n{entry.text()}\n")
    return 0
