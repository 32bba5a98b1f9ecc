"""A partner who talks over the coach is heard out: the coach does not talk over them."""

from __future__ import annotations

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import (
    Listen,
    PartnerSaid,
    Say,
    SayDone,
    SpeechStarted,
    Tick,
)

FRAME = 0.03


class Driver:
    """Feeds ticks on a 30 ms grid; each line plays for 2 s unless cut."""

    def __init__(self) -> None:
        self.engine = Engine(None, ("Alex", "Sam"), entry="imago")
        self.t = 0.0
        self.log: list[tuple[float, object]] = []
        self.playing: tuple[str, float] | None = None
        self._take(self.engine.start(0.0))

    def _take(self, actions) -> None:
        for a in actions:
            self.log.append((self.t, a))
            if isinstance(a, Say):
                self.playing = (a.id, self.t + 2.0)

    def send(self, event) -> None:
        self._take(self.engine.handle(event))

    def run_until(self, t_end: float, *, until_say: str | None = None) -> None:
        while self.t < t_end:
            self.t = round(self.t + FRAME, 3)
            if self.playing and self.t >= self.playing[1]:
                pid, self.playing = self.playing[0], None
                self.send(SayDone(self.t, pid))
            self.send(Tick(self.t))
            if until_say and self.playing and self.playing[0] == until_say:
                return

    def says_between(self, a: float, b: float) -> list[str]:
        return [x.id for t, x in self.log if isinstance(x, Say) and a <= t <= b]


def test_coach_hears_out_a_partner_who_cut_in_and_keeps_their_words() -> None:
    d = Driver()
    d.run_until(60, until_say="imago.appointment")
    d.run_until(d.t + 2.5)
    d.send(PartnerSaid(d.t, "Sam", "Yes, now is a good time.", d.t - 1.5, d.t - 0.2))
    d.run_until(d.t + 30, until_say="imago.send_prompt")
    # Alex starts sharing while the coach is still inviting him to.
    d.run_until(d.t + 1.0)
    cut = d.t
    pid, _ = d.playing
    d.playing = None
    d.send(SayDone(cut, pid, interrupted=True))
    d.send(SpeechStarted(cut, "unknown"))
    d.run_until(cut + 4.0)
    words = "I feel lonely when every weekend is planned for us, and I miss you."
    d.send(PartnerSaid(d.t, "Alex", words, cut, d.t - 0.6))
    heard_at = d.t
    # Nothing said while Alex was talking.
    assert d.says_between(cut, heard_at) == []
    d.run_until(heard_at + 10, until_say="imago.mirror_prompt")
    # His words were his turn: the coach goes on to the mirror, it doesn't ask again.
    assert d.playing and d.playing[0] == "imago.mirror_prompt"
    sends = [x for _, x in d.log if isinstance(x, Listen) and x.step == "imago.send"]
    assert len(sends) == 1


def test_a_cut_with_no_words_goes_on_after_a_short_wait() -> None:
    d = Driver()
    d.run_until(60, until_say="imago.appointment")
    d.run_until(d.t + 0.5)
    cut = d.t
    d.playing = None
    d.send(SayDone(cut, "imago.appointment", interrupted=True))
    d.run_until(cut + 2.0)
    assert not [x for t, x in d.log if t > cut and isinstance(x, (Say, Listen))]
    d.run_until(cut + 4.0)
    assert [x for t, x in d.log if t > cut and isinstance(x, (Say, Listen))]


def test_the_next_line_waits_until_the_partner_who_cut_in_has_finished() -> None:
    d = Driver()
    d.run_until(1.0)
    assert d.playing and d.playing[0] == "imago.intro"
    cut = d.t
    d.playing = None
    d.send(SayDone(cut, "imago.intro", interrupted=True))
    d.send(SpeechStarted(cut, "unknown"))
    d.run_until(cut + 2.5)
    assert d.says_between(cut, d.t) == []  # Alex is still talking: the coach waits
    d.send(PartnerSaid(d.t, "Alex", "Okay, I'd like to start.", cut, d.t - 0.6))
    heard_at = d.t
    d.run_until(heard_at + 1.0)
    assert d.says_between(heard_at, d.t) == ["imago.appointment"]
