"""`voicecoach scripts`: list and check dialogue scripts."""

from __future__ import annotations

import argparse
import sys

from voicecoach.errors import UserError

NAME = "scripts"
HELP = "dialogue scripts: list, check"
EXAMPLES = [
    "voicecoach scripts list",
    "voicecoach scripts check my-script.yaml",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    scs = p.add_subparsers(dest="scripts_command", metavar="ACTION")
    chk = scs.add_parser("check", help="validate script files")
    chk.add_argument("files", nargs="+")
    scs.add_parser("list", help="list available scripts and where each comes from")


def main(args: argparse.Namespace) -> int:
    from voicecoach.dialogue.script import check_script, script_files

    if args.scripts_command == "list":
        files = script_files()
        width = max((len(n) for n in files), default=0)
        for name, (path, origin) in files.items():
            print(f"{name.ljust(width)}  {origin:7}  {path}")
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
