"""`voicecoach forget NAME|--all`: delete saved voice profiles."""

from __future__ import annotations

import argparse

from voicecoach.cli.options import add_profile_dir
from voicecoach.errors import UserError

NAME = "forget"
HELP = "delete a partner's voice profile (or --all)"
EXAMPLES = [
    "voicecoach forget Alex",
    "voicecoach forget --all",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="whose profile to delete")
    p.add_argument("--all", action="store_true", help="delete every profile")
    add_profile_dir(p)


def main(args: argparse.Namespace) -> int:
    from voicecoach.profiles import ProfileStore

    if bool(args.name) == bool(args.all):
        raise UserError("Say whose voice to forget (`voicecoach forget Alex`) or --all.")
    store = ProfileStore(args.profile_dir)
    if args.all:
        gone = store.forget_all()
        print(f"Forgot {len(gone)} voice profile(s) in {store.dir}.")
    else:
        path = store.forget(args.name)
        print(f"Forgot {args.name}'s voice ({path}).")
    return 0
