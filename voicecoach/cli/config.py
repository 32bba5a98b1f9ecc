"""`voicecoach config`: show, change and locate the settings file."""

from __future__ import annotations

import argparse

NAME = "config"
HELP = "show the settings and where each comes from; change one; print the file's path"
EXAMPLES = [
    "voicecoach config",
    "voicecoach config set partners Robin,Kim",
    "voicecoach config set model tiny.en",
    "voicecoach config path",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="config_command", metavar="ACTION")
    s = sub.add_parser("set", help="change one setting")
    s.add_argument("key")
    s.add_argument("value")
    sub.add_parser("path", help="print where the settings file is")
    sub.add_parser("show", help="show the effective settings (the default action)")


def main(args: argparse.Namespace) -> int:
    from voicecoach.config import config_path, format_settings, load_settings, set_value, show

    if args.config_command == "path":
        print(config_path())
        return 0
    if args.config_command == "set":
        value = set_value(args.key, args.value)
        print(f"{args.key} = {show(value)}  ({config_path()})")
        return 0
    print(format_settings(load_settings()))
    return 0
