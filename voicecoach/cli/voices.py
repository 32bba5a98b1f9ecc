"""`voicecoach voices`: the Piper voices the coach can use."""

from __future__ import annotations

import argparse

NAME = "voices"
HELP = "list the Piper voices the coach can use"
EXAMPLES = [
    "voicecoach voices",
    "voicecoach config set voice en_US-joe-medium",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    from voicecoach.speech.tts import list_voices

    for name in list_voices():
        print(name)
    return 0
