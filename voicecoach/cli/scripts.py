"""`voicecoach scripts`: list and check dialogue scripts."""

from __future__ import annotations

import argparse
import sys

from voicecoach.errors import UserError

NAME = "scripts"
HELP = "dialogue scripts: list, check"


def add_arguments(p: argparse.ArgumentParser) -> None:
    scs = p.add_subparsers(dest="scripts_command", metavar="ACTION")
    chk = scs.add_parser("check", help="validate script files")
    chk.add_argument("files", nargs="+")
    scs.add_parser("list", help="list available scripts")


def main(args: argparse.Namespace) -> int:
    from voicecoach.dialogue.script import available_scripts, check_script

    if args.scripts_command == "list":
        for name in available_scripts():
            print(name)
        return 0
    if args.scripts_command != "check":
        raise UserError("use 'voicecoach scripts check FILE' or 'voicecoach scripts list'")
    failed = 0
    for f in args.files:
        try:
            check_script(f)
            print(f"{f}: ok")
        except UserError as exc:
            print(exc, file=sys.stderr)
            failed += 1
    return 2 if failed else 0
