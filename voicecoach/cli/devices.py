"""`voicecoach devices`: list audio devices."""

from __future__ import annotations

import argparse

NAME = "devices"
HELP = "list audio devices"
EXAMPLES = [
    "voicecoach devices",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    from voicecoach.audio.devicelist import format_devices

    print(format_devices())
    return 0
