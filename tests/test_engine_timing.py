"""Timed steps on media time: breathing pace, timeouts, settings."""

from __future__ import annotations

import pytest

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import EndSession, Say, Show
from voicecoach.dialogue.settings import Settings
from voicecoach.errors import UserError
from voicecoach.lab.rehearse import Rehearsal, happy_replies

PARTNERS = ("Alex", "Sam")


def test_breathing_cues_are_paced_on_media_time() -> None:
    engine = Engine(
        None, PARTNERS, entry="pause", settings={"breathe_in_s": 4.0, "breathe_out_s": 6.0}
    )
    r = Rehearsal(engine, happy_replies()).run(until=600)
    says = [(t, x) for t, x in r.log if isinstance(x, Say) and x.id == "pause.settle"]
    assert says[0][1].text.startswith("Thank you both.")
    cues = [(t, x.text) for t, x in says[1:]]
    assert [c for _, c in cues] == ["Breathe in, slowly...", "and out..."] * 2
    gaps = [b[0] - a[0] for a, b in zip(cues, cues[1:], strict=False)]
    assert gaps == pytest.approx([4.0, 6.0, 4.0], abs=0.031)  # within one 30 ms frame
    # The next line comes once the last out-breath is over.
    t_next = next(t for t, x in r.log if isinstance(x, Say) and x.id == "pause.go_on")
    assert t_next - cues[-1][0] == pytest.approx(6.0, abs=0.05)


def test_timeout_length_is_a_setting_and_shows_a_timer() -> None:
    engine = Engine(None, PARTNERS, entry="timeout", settings={"timeout_s": 1200})
    r = Rehearsal(engine).run(until=1400)
    (timer,) = [s for s in r.actions(Show) if s.kind == "timer"]
    assert "20 minutes" in timer.text
    intro = r.actions(Say)[0].text
    assert "about 20 minutes" in intro and "avoid replaying the argument" in intro
    t_show = next(t for t, x in r.log if isinstance(x, Show))
    t_back = next(t for t, x in r.log if isinstance(x, Say) and "Welcome back" in x.text)
    assert t_back - t_show == pytest.approx(1200.0, abs=0.05)
    assert r.actions(EndSession) == [EndSession("continue")]


@pytest.mark.parametrize("when", ["breathing", "timeout"])
def test_danger_words_stop_even_during_a_breath_or_a_timeout(when: str) -> None:
    table = happy_replies()
    table["pause.safety@Alex"] = "I don't know."
    table["pause.offer"] = "A timeout." if when == "timeout" else "Breathing."
    engine = Engine(None, PARTNERS, entry="pause", settings={"timeout_s": 300})
    r = Rehearsal(engine, table)
    step = "timeout.start" if when == "timeout" else "pause.more_breathing"
    r.run_to(step)
    r.run(until=r.t + 12)  # into the quiet part of the step
    r.speak("Sam", "Sometimes I want to die.", start=r.t)
    r.run(until=r.t + 60)
    assert [s.kind for s in r.actions(Show) if s.kind == "help"] == ["help"]
    assert r.actions(EndSession) == [EndSession("not safe")]


def test_settings_from_a_mapping_are_checked() -> None:
    assert Settings.of({"timeout_s": 30}).timeout_s == 30.0
    assert Settings.of(None) == Settings()
    for bad in (
        {"timeout_s": "20"},
        {"speak_help": "yes"},
        {"timeout_s": -1},
        {"help_country": 1},
        {"nope": 1},
    ):
        with pytest.raises(UserError):
            Settings.of(bad)
