"""The floor on its own: when a turn is over, and when to hold the floor for the speaker."""

from __future__ import annotations

from voicecoach.dialogue.floor import BOTH, HoldFloor, Turn, TurnOver
from voicecoach.dialogue.settings import Settings

S = Settings()


def turn(speaker: str = "Alex", end_s: float = 0.6, max_s: float = 60.0) -> Turn:
    return Turn(speaker, "imago.send", started=0.0, max_s=max_s, end_s=end_s, quiet_from=0.0)


def first_decision(
    tu: Turn, start: float, talking: dict[str, float] | None = None, until: float = 100.0
):
    t = start
    while t < until:
        d = tu.decide(t, talking or {}, S)
        if d is not None:
            return t, d
        t = round(t + 0.03, 6)
    return None


def test_finished_sentence_ends_after_a_short_silence() -> None:
    tu = turn()
    tu.add("Alex", "I felt lonely.", end=2.0)
    t, d = first_decision(tu, 2.0)
    assert d == TurnOver("I felt lonely.")
    assert 2.6 <= t < 2.7


def test_trailing_sentence_waits_longer() -> None:
    tu = turn()
    tu.add("Alex", "I felt lonely because", end=2.0)
    t, d = first_decision(tu, 2.0)
    # The trailing wait (2.0 s, chosen on the real phone dialogues' tuning half), not the
    # finished sentence's 0.7 s.
    assert S.turn_end_incomplete_s > 1.5
    assert 2.0 + S.turn_end_incomplete_s <= t < 2.0 + S.turn_end_incomplete_s + 0.1


def test_speaking_again_keeps_the_turn_open() -> None:
    tu = turn()
    tu.add("Alex", "I felt lonely and", end=2.0)
    tu.talking = True  # SpeechStarted at 3.0
    assert first_decision(tu, 2.0, {"Alex": 3.0}, until=10.0) is None


def test_silence_without_words() -> None:
    t, d = first_decision(turn(), 0.0)
    assert d == TurnOver("") and 15.0 <= t < 15.1


def test_noise_without_words_is_not_silence() -> None:
    tu = turn()
    tu.add("Alex", "", end=1.0)
    t, d = first_decision(tu, 1.0)
    assert d == TurnOver("", noise=True) and t < 2.0


def test_maximum_length() -> None:
    tu = turn(max_s=5.0, end_s=10.0)
    tu.add("Alex", "I felt lonely.", end=1.0)
    t, d = first_decision(tu, 1.0)
    assert d == TurnOver("I felt lonely.") and 5.0 <= t < 5.1


def test_hold_waits_for_a_gap_in_the_floor_holders_speech() -> None:
    tu = turn()
    tu.talking = True
    tu.interrupted_by("Sam")
    assert tu.decide(3.0, {"Alex": 1.0}, S) is None  # Alex still talking
    tu.add("Alex", "and I missed you", end=4.0)
    assert tu.decide(4.1, {}, S) is None  # not yet a gap
    assert tu.decide(4.4, {}, S) == HoldFloor("Alex", "Sam")
    assert tu.decide(4.5, {}, S) is None  # once per interruption


def test_hold_waits_for_the_interrupter_to_stop_too() -> None:
    tu = turn()
    tu.add("Alex", "I felt", end=1.0)
    tu.interrupted_by("Sam")
    assert tu.decide(2.0, {"Sam": 1.5}, S) is None
    assert tu.decide(6.0, {"Sam": 1.5}, S) == HoldFloor("Alex", "Sam")  # not waited for ever


def test_holds_are_limited() -> None:
    tu = turn()
    holds = 0
    for k in range(5):
        tu.interrupted_by("Sam")
        if isinstance(tu.decide(1.0 + k, {}, S), HoldFloor):
            holds += 1
    assert holds == S.max_holds


def test_an_open_floor_has_no_interrupters() -> None:
    tu = turn(BOTH)
    tu.interrupted_by("Sam")
    assert tu.intruder is None
    assert tu.owns("Sam") and tu.owns("Alex")
