"""Random partners: whatever they say and whenever, the engine keeps its promises.

Seeded random conversations (answers of every kind, silence, interruptions, commands,
heat alarms, unknown speakers) must never raise, never make the coach talk over itself
or listen while it talks, and never run an exercise step after help has been shown.
"""

from __future__ import annotations

import random

import pytest

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import (
    EndSession,
    EnterStep,
    HeatAlarm,
    KeyPressed,
    Listen,
    Show,
)
from voicecoach.lab.rehearse import Line, Rehearsal

PARTNERS = ("Alex", "Sam")
SAYINGS = [
    "Yes.",
    "No.",
    "I'm not sure.",
    "yeah I think so",
    "not really",
    "I guess",
    "",
    "Hmm.",
    "Breathing.",
    "A timeout.",
    "I felt lonely when you worked late.",
    "and I",
    "because",
    "If I got it, you felt lonely.",
    "You make sense.",
    "Repeat that.",
    "Slower, please.",
    "Skip.",
    "Pause.",
    "Don't stop talking to me.",
    "I value that you cooked.",
    "That's not fair!",
    "Okay.",
]
RARE = ["Stop.", "He hit me.", "I'm scared of him."]


def random_reply(rng: random.Random):
    def reply(listen: Listen):
        if rng.random() < 0.12:
            return None  # silence
        lines = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            roll = rng.random()
            pool = RARE if roll < 0.004 else ["Yes."] if roll < 0.45 else SAYINGS
            speaker = listen.speaker
            r = rng.random()
            if r < 0.15:
                speaker = rng.choice(PARTNERS)
            elif r < 0.22:
                speaker = "unknown"
            lines.append(
                Line(
                    rng.choice(pool),
                    speaker=speaker if speaker != "both" else None,
                    after=rng.choice([-1.0, 0.2, 0.4, 1.5, 3.0]),
                    dur=rng.uniform(0.3, 4.0),
                )
            )
        return tuple(lines)

    return reply


def check(r: Rehearsal) -> None:
    assert r.talk_over() == []
    acts = r.actions()
    ends = [i for i, a in enumerate(acts) if isinstance(a, EndSession)]
    assert len(ends) <= 1
    if ends:
        assert ends[0] == len(acts) - 1  # nothing after the end
    helps = [i for i, a in enumerate(acts) if isinstance(a, Show) and a.kind == "help"]
    if helps:
        later = acts[helps[0] :]
        assert not [
            a for a in later if isinstance(a, EnterStep) and a.script in ("imago", "appreciation")
        ]
        assert not [a for a in later if isinstance(a, Listen)]


@pytest.mark.parametrize("seed", range(36))
def test_random_couples(seed: int) -> None:
    rng = random.Random(seed)
    entry = ["session", "imago", "pause"][seed % 3]
    engine = Engine(None, PARTNERS, entry=entry, settings={"timeout_s": 40})
    r = Rehearsal(engine, default=random_reply(rng))
    for _ in range(rng.randrange(0, 4)):
        t = rng.uniform(5, 400)
        r.at(
            t,
            HeatAlarm(
                t,
                rng.choice(["raised_voice", "interruption"]),
                rng.choice(PARTNERS),
                0.8,
                by=rng.choice(PARTNERS),
            ),
        )
    if rng.random() < 0.1:
        t = rng.uniform(5, 600)
        r.at(t, KeyPressed(t, "q"))
    r.run(until=1500)
    check(r)
