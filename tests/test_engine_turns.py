"""Floor and turn-taking: holding the floor for the sender, pauses that are not ends."""

from __future__ import annotations

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import Listen, PartnerSaid, Say, SpeechStarted, StopSpeaking
from voicecoach.lab.rehearse import Line, Rehearsal, happy_replies

PARTNERS = ("Alex", "Sam")


def rehearse(until: float = 3000, **replies) -> Rehearsal:
    table = happy_replies()
    table.update(replies)
    engine = Engine(None, PARTNERS, entry="imago")
    return Rehearsal(engine, table).run(until=until)


def first(r: Rehearsal, pred) -> float:
    return next(t for t, x in r.log if pred(x))


def mirror_listen_t(r: Rehearsal) -> float:
    return first(r, lambda x: isinstance(x, Listen) and x.step == "imago.mirror")


def sender_words(r: Rehearsal) -> list[str]:
    """What Alex said during their first send, up to the mirror prompt."""
    start = first(r, lambda x: isinstance(x, Listen) and x.step == "imago.send")
    end = first(r, lambda x: isinstance(x, Say) and x.id == "imago.mirror_prompt")
    return [
        x.text
        for t, x in r.log
        if isinstance(x, PartnerSaid) and x.speaker == "Alex" and start <= t <= end
    ]


def test_listener_talking_over_the_sender_is_held_gently() -> None:
    send = (
        Line("I felt alone last week when you", dur=2.5),
        Line("That's not fair, I was working!", speaker="Sam", after=-1.5, dur=2.0),
        Line("and I missed you.", after=5.5, dur=1.5),
    )
    r = rehearse(**{"imago.send@Alex": send})
    holds = [(t, x) for t, x in r.log if isinstance(x, Say) and x.id == "engine.hold_floor"]
    assert len(holds) == 1
    t_hold, hold = holds[0]
    assert hold.text == "Let's let Alex finish; you'll have your turn, Sam."
    assert hold.to == "Sam"
    # Said in a natural gap: after both had stopped, never while Alex was talking.
    alex_end = first(r, lambda x: isinstance(x, PartnerSaid) and x.speaker == "Alex")
    sam_end = first(r, lambda x: isinstance(x, PartnerSaid) and x.speaker == "Sam")
    assert t_hold >= max(alex_end, sam_end)
    # Alex's whole message is their turn; Sam's words are not part of it.
    assert sender_words(r) == ["I felt alone last week when you", "and I missed you."]
    assert mirror_listen_t(r) > first(
        r, lambda x: isinstance(x, PartnerSaid) and x.text == "and I missed you."
    )
    assert r.talk_over() == []


def test_overlap_waits_for_the_sender_to_pause() -> None:
    send = (
        Line(
            "I have been feeling really tired and alone for weeks now, and I need help "
            "with the house.",
            dur=6.0,
        ),
        Line("That's not true!", speaker="Sam", after=-4.0, dur=1.0),
    )
    r = rehearse(**{"imago.send@Alex": send})
    t_hold = first(r, lambda x: isinstance(x, Say) and x.id == "engine.hold_floor")
    alex_said = first(r, lambda x: isinstance(x, PartnerSaid) and x.speaker == "Alex")
    assert t_hold >= alex_said  # Sam stopped long before; Alex still had the floor


def test_coach_yields_when_the_sender_picks_up_during_the_hold_line() -> None:
    send = (
        Line("I felt alone last week when you", dur=2.5),
        Line("No!", speaker="Sam", after=-1.0, dur=0.5),
        Line("when you went out with your friends.", after=1.5, dur=2.0),
    )
    r = rehearse(**{"imago.send@Alex": send})
    t_hold = first(r, lambda x: isinstance(x, Say) and x.id == "engine.hold_floor")
    t_alex = first(
        r, lambda x: isinstance(x, SpeechStarted) and x.speaker == "Alex" and x.t > t_hold
    )
    t_stop = first(r, lambda x: isinstance(x, StopSpeaking))
    assert t_stop == t_alex
    assert "when you went out with your friends." in sender_words(r)
    assert r.talk_over() == []


def test_a_mid_thought_pause_is_not_the_end_of_the_turn() -> None:
    # A pause a little shorter than turn_end_incomplete_s (2.0 s).
    send = (Line("I felt hurt when you", dur=1.6), Line("forgot my birthday.", after=1.7, dur=1.5))
    r = rehearse(**{"imago.send@Alex": send})
    assert sender_words(r) == ["I felt hurt when you", "forgot my birthday."]
    assert "engine.hold_floor" not in r.said()


def test_a_finished_sentence_then_silence_ends_the_turn_soon() -> None:
    r = rehearse(**{"imago.send@Alex": Line("I felt lonely this week.", dur=2.0)})
    end = next(
        x.end
        for _, x in r.log
        if isinstance(x, PartnerSaid) and x.text == "I felt lonely this week."
    )
    prompt = first(r, lambda x: isinstance(x, Say) and x.id == "imago.mirror_prompt")
    assert 0.6 <= prompt - end <= 1.0  # message_end_s (0.7 s) after a finished sentence


def test_unknown_speaker_while_listening_counts_as_the_floor_holder() -> None:
    send = [Line("I felt lonely when you worked late.", speaker="unknown", dur=2.0)]
    r = rehearse(**{"imago.send@Alex": send})
    assert "engine.hold_floor" not in r.said()
    assert "imago.mirror_prompt" in r.said()


def test_long_silence_gets_a_gentle_reprompt() -> None:
    r = rehearse(**{"imago.send@Alex": [None, "I felt lonely when you worked late."]})
    t_listen = first(r, lambda x: isinstance(x, Listen) and x.step == "imago.send")
    t_re = first(r, lambda x: isinstance(x, Say) and x.id == "engine.reprompt")
    assert 14.0 <= t_re - t_listen <= 16.0
    reprompt = next(a for a in r.actions(Say) if a.id == "engine.reprompt")
    assert reprompt.text == "Take your time, Alex. I'm listening."
    # Then the same turn is offered again and the dialogue goes on.
    assert [a.speaker for a in r.actions(Listen) if a.step == "imago.send"][:2] == ["Alex"] * 2
    assert "imago.mirror_prompt" in r.said()


def test_continued_silence_offers_a_pause() -> None:
    r = rehearse(
        **{"imago.send@Alex": [None, None, "I felt lonely."], "engine.offer_pause": "Yes, please."}
    )
    said = r.said()
    assert said.index("engine.reprompt") < said.index("engine.offer_pause")
    assert "pause.breath" in said
    offer = next(a for a in r.actions(Say) if a.id == "engine.offer_pause")
    assert offer.text == "Alex, would you like to take a pause?"


def test_declined_pause_offer_moves_on() -> None:
    r = rehearse(**{"imago.send@Alex": [None, None], "engine.offer_pause": "No."})
    said = r.said()
    assert "engine.offer_pause" in said and "pause.breath" not in said
    assert said.index("engine.offer_pause") < said.index("imago.mirror_prompt")


def test_floor_property_follows_the_turn() -> None:
    engine = Engine(None, PARTNERS, entry="imago")
    r = Rehearsal(engine, happy_replies())
    r.run(
        stop=lambda rr: any(
            isinstance(x, Listen) and x.step == "imago.send" for _, x in rr.log[-3:]
        )
    )
    assert engine.floor == "Alex"
    assert engine.roles == ("Alex", "Sam")


def test_sender_resuming_just_after_the_turn_ended_gets_the_floor_back() -> None:
    # A finished sentence, then 1.7 s of thought: the coach begins the mirror prompt, Alex
    # picks up again, the coach stops at once and the turn goes on.
    send = (
        Line("I felt lonely this week.", dur=2.0),
        Line("And I miss our walks.", after=1.7, dur=1.6),
    )
    r = rehearse(**{"imago.send@Alex": send})
    t_prompt = first(r, lambda x: isinstance(x, Say) and x.id == "imago.mirror_prompt")
    t_alex = first(
        r, lambda x: isinstance(x, SpeechStarted) and x.speaker == "Alex" and x.t > t_prompt - 1.0
    )
    stops = [t for t, x in r.log if isinstance(x, StopSpeaking)]
    assert stops and stops[0] == t_alex
    t0 = first(r, lambda x: isinstance(x, Listen) and x.step == "imago.send")
    t1 = mirror_listen_t(r)
    words = [x.text for t, x in r.log if isinstance(x, PartnerSaid) and t0 <= t <= t1]
    assert words == ["I felt lonely this week.", "And I miss our walks."]
    # The prompt was said again, whole, once Alex had finished.
    prompts = [t for t, x in r.log if isinstance(x, Say) and x.id == "imago.mirror_prompt"]
    assert len([t for t in prompts if t < t1]) == 2
    # The mirror happens once, after the whole message.
    assert [a.speaker for a in r.actions(Listen) if a.step == "imago.mirror"] == ["Sam", "Alex"]
    assert r.talk_over() == []


def test_the_other_partner_starting_does_not_reopen_the_senders_turn() -> None:
    send = (
        Line("I felt lonely this week.", dur=2.0),
        Line("Okay.", speaker="Sam", after=1.7, dur=0.5),
    )
    r = rehearse(**{"imago.send@Alex": send})
    assert not r.actions(StopSpeaking)


def test_a_missing_say_done_does_not_hang_the_engine() -> None:
    from voicecoach.dialogue.protocol import Tick

    engine = Engine(None, PARTNERS, entry="imago")
    first_say = engine.start(0.0)
    assert any(isinstance(a, Say) for a in first_say)
    out = []
    t = 0.0
    while t < 60.0 and not any(isinstance(a, Listen) for a in out):
        t = round(t + 0.03, 6)
        out += engine.handle(Tick(t))
    # No SayDone ever came; the engine went on by itself, well after the line's length.
    assert any(isinstance(a, Say) and a.id == "imago.appointment" for a in out)


def test_voices_nobody_enrolled_count_as_the_partner_who_has_the_floor() -> None:
    """`run --script appreciation` learns no names: the listener says "speaker1"."""
    engine = Engine(None, PARTNERS, entry="appreciation")
    table = {
        "appreciation.first@Alex": Line("I value your coffee.", speaker="speaker1"),
        "appreciation.second@Sam": Line("I value your patience.", speaker="speaker2"),
    }
    r = Rehearsal(engine, table).run(until=300)
    assert engine.finished
    said = [x.id for x in r.actions(Say)]
    assert said == [
        "appreciation.intro",
        "appreciation.first_prompt",
        "appreciation.second_prompt",
        "appreciation.thanks",
    ]  # each answer ended its turn: no re-prompts, no offer to pause
