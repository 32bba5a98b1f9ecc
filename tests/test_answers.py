"""Short spoken answers, voice commands and turn endings, read from messy transcripts."""

from __future__ import annotations

import pytest

from voicecoach.dialogue.answers import choice, yes_no
from voicecoach.dialogue.commands import command
from voicecoach.dialogue.mirror import coverage, missed_most
from voicecoach.dialogue.turns import looks_complete


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Yes.", "yes"),
        ("yeah I think so", "yes"),
        ("Yes, I feel safe.", "yes"),
        ("Yep!", "yes"),
        ("Sure.", "yes"),
        ("Of course I do.", "yes"),
        ("I do.", "yes"),
        ("Absolutely.", "yes"),
        ("Mm hmm.", "yes"),
        ("Yeah, you got it.", "yes"),
        ("No.", "no"),
        ("not really", "no"),
        ("Nope.", "no"),
        ("I don't think so.", "no"),
        ("No, I don't.", "no"),
        ("I'm not safe.", "no"),
        ("Not right now.", "no"),
        ("I don't feel safe.", "no"),
        ("Of course not.", "no"),
        ("Absolutely not.", "no"),
        ("No problem, go ahead.", "yes"),
        ("Why not.", "yes"),
        ("I guess", "unsure"),
        ("I don't know", "unsure"),
        ("Maybe.", "unsure"),
        ("I'm not sure.", "unsure"),
        ("Kind of.", "unsure"),
        ("Yes, mostly.", "unsure"),
        ("Yes and no.", "unsure"),
        ("", None),
        ("...", None),
        ("Hmm.", None),
        ("The cat is purple.", None),
    ],
)
def test_yes_no(text: str, expected: str | None) -> None:
    assert yes_no(text) == expected


CHOICES = {"breathe": ("breathing", "breath"), "timeout": ("time out", "break")}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Breathing, please.", "breathe"),
        ("Let's take a break.", "timeout"),
        ("A time out I think.", "timeout"),
        ("The timeout.", "timeout"),
        ("Breathing first, then maybe a break.", "breathe"),
        ("I don't know.", "unsure"),
        ("Either is fine.", "unsure"),
        ("Bananas.", None),
    ],
)
def test_choice(text: str, expected: str | None) -> None:
    assert choice(text, CHOICES) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Stop.", "stop"),
        ("Please stop.", "stop"),
        ("Pause.", "pause"),
        ("Can we pause?", "pause"),
        ("Repeat that.", "repeat"),
        ("Could you repeat that, please?", "repeat"),
        ("Say that again.", "repeat"),
        ("Skip.", "skip"),
        ("Skip this step.", "skip"),
        ("Slower, please.", "slower"),
        ("Slow down.", "slower"),
        ("Don't stop talking to me.", None),
        ("I want you to stop yelling at me.", None),
        ("Next time, please call me.", None),
        ("We never pause to think about it.", None),
        ("Skip the part about my mother, it doesn't matter.", None),
    ],
)
def test_voice_commands_only_when_the_utterance_is_the_command(text: str, expected) -> None:
    assert command(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("I felt hurt.", True),
        ("Did I get it?", True),
        ("That's all", True),
        ("and I", False),
        ("because", False),
        ("because.", False),
        ("so", False),
        ("I felt hurt when you...", False),
        ("I was thinking that,", False),
        ("I wanted to say that", False),
        ("", False),
        ("yes", True),
        ("no way", True),
        ("I felt lonely this week", False),  # no full stop heard: maybe more to come
    ],
)
def test_turn_completeness(text: str, expected: bool) -> None:
    assert looks_complete(text) is expected


def test_mirror_coverage_counts_content_words() -> None:
    sent = "I felt lonely when you worked late every night this week."
    assert coverage(sent, "If I got it, you felt lonely when I worked late every night.") > 0.6
    assert missed_most(sent, "You are upset about something.")
    assert not missed_most(sent, "You felt lonely because I was working late all week.")
    assert not missed_most("", "anything")
