"""`voicecoach profiles`: the saved voice profiles (name, date, seconds of speech)."""

from __future__ import annotations

import argparse

from voicecoach.cli.options import add_profile_dir

NAME = "profiles"
HELP = "list the saved voice profiles"
EXAMPLES = [
    "voicecoach profiles",
    "voicecoach profiles --profile-dir ~/our-voices",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_profile_dir(p)


def main(args: argparse.Namespace) -> int:
    from voicecoach.profiles import ProfileStore

    store = ProfileStore(args.profile_dir)
    found = store.all()
    if not found:
        print(f"No voice profiles in {store.dir} (`voicecoach enroll NAME` makes one).")
        return 0
    print(f"Voice profiles in {store.dir}:")
    print(f"  {'name':16s} {'learned':20s} {'updated':20s} {'speech':>8s}  sessions")
    for path, p in found:
        if isinstance(p, Exception):
            print(f"  {path.name}: unusable: {p}")
            continue
        print(f"  {p.name:16s} {p.created:20s} {p.updated:20s} {p.speech_s:7.1f}s  {p.sessions}")
    return 0
