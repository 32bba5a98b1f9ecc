"""The Imago dialogue end to end, on simulated media time."""

from __future__ import annotations

from voicecoach.dialogue.engine import Engine
from voicecoach.dialogue.protocol import EndSession, EnterStep, Listen, Say, SayDone
from voicecoach.lab.rehearse import Rehearsal, happy_replies

PARTNERS = ("Alex", "Sam")


def rehearse(entry: str = "imago", **replies) -> Rehearsal:
    table = happy_replies()
    table.update(replies)
    engine = Engine(None, PARTNERS, entry=entry, settings={"timeout_s": 30})
    return Rehearsal(engine, table).run(until=3000)


def listens(r: Rehearsal, step: str) -> list[str]:
    return [a.speaker for a in r.actions(Listen) if a.step == step]


def test_full_round_both_ways() -> None:
    r = rehearse()
    assert r.engine.finished
    assert r.actions(EndSession) == [EndSession("done")]
    # Alex sends first, then the roles swap and Sam sends; each mirrors the other.
    assert listens(r, "imago.send") == ["Alex", "Sam"]
    assert listens(r, "imago.mirror") == ["Sam", "Alex"]
    assert listens(r, "imago.summary") == ["Sam", "Alex"]
    assert listens(r, "imago.validate") == ["Sam", "Alex"]
    assert listens(r, "imago.empathy") == ["Sam", "Alex"]
    assert listens(r, "imago.appointment") == ["Sam", "Alex"]
    assert listens(r, "appreciation.first") == ["Alex"]
    assert listens(r, "appreciation.second") == ["Sam"]
    steps = r.steps()
    assert steps.count("imago.swap") == 1
    assert steps.index("imago.swap") < steps.index("appreciation.intro")
    # The step order of one round is the Imago order.
    round1 = steps[: steps.index("imago.swap")]
    order = [
        "imago.appointment",
        "imago.send",
        "imago.mirror",
        "imago.got_it",
        "imago.more",
        "imago.summary",
        "imago.validate",
        "imago.empathy",
    ]
    assert [s for s in round1 if s in order] == order
    assert r.talk_over() == []


def test_prompts_name_the_right_partner() -> None:
    r = rehearse()
    texts = {(a.id, a.to): a.text for a in r.actions(Say)}
    assert "Alex, did Sam get it?" in texts.values()
    assert "Sam, did Alex get it?" in texts.values()
    assert texts[("imago.got_it", "Alex")] == "Alex, did Sam get it?"
    validation = [a.text for a in r.actions(Say) if a.id == "imago.validate_prompt"]
    assert all("You make sense, and what makes sense is" in t for t in validation)
    empathy = [a.text for a in r.actions(Say) if a.id == "imago.empathy_prompt"]
    assert all("I imagine you might be feeling" in t for t in empathy)


def test_is_there_more_loops_twice() -> None:
    r = rehearse(**{"imago.more@Alex": ["Yes, there is.", "Yeah.", "No."]})
    assert listens(r, "imago.more").count("Alex") == 3
    assert listens(r, "imago.more_send") == ["Alex", "Alex"]
    assert listens(r, "imago.more_mirror") == ["Sam", "Sam"]
    steps = r.steps()
    steps = steps[: steps.index("imago.swap")]
    # Summary only after the final "no".
    last_more = max(i for i, s in enumerate(steps) if s == "imago.more")
    assert steps.index("imago.summary_prompt") > last_more
    assert r.actions(EndSession) == [EndSession("done")]


def test_loop_stops_after_its_maximum() -> None:
    r = rehearse(**{"imago.more@Alex": ["Yes."] * 10})
    assert listens(r, "imago.more_send").count("Alex") == 4  # max: 4 in imago.yaml
    assert r.engine.finished


def test_mirror_missing_most_words_invites_the_sender_to_add() -> None:
    r = rehearse(**{"imago.mirror@Sam": "You are upset about something."})
    steps = r.steps()
    assert "imago.add_prompt" in steps
    add = next(a for a in r.actions(Say) if a.id == "imago.add_prompt")
    # Inviting the sender, never judging the receiver.
    assert add.to == "Alex"
    assert "wrong" not in add.text.lower() and "Sam" not in add.text
    # The sender was still asked "did they get it?" first.
    assert steps.index("imago.got_it") < steps.index("imago.add_prompt")


def test_a_good_mirror_is_not_second_guessed() -> None:
    r = rehearse()
    assert "imago.add_prompt" not in r.steps()


def test_sender_saying_no_to_did_they_get_it_gets_to_add() -> None:
    r = rehearse(**{"imago.got_it@Alex": "Not really."})
    assert "imago.add@Alex" in [f"{a.step}@{a.speaker}" for a in r.actions(Listen)]


def test_appointment_declined_ends_gently() -> None:
    r = rehearse(**{"imago.appointment": "No, not now."})
    assert "imago.later" in r.steps()
    assert "imago.send" not in r.steps()
    assert r.actions(EndSession) == [EndSession("later")]


def test_listen_follows_the_prompt_only_after_say_done() -> None:
    r = rehearse()
    log = r.log
    for i, (_, x) in enumerate(log):
        if isinstance(x, Listen) and x.step == "imago.mirror":
            before = [y for _, y in log[:i] if isinstance(y, Say | SayDone)]
            assert isinstance(before[-1], SayDone)
            assert before[-1].id == "imago.mirror_prompt"


def test_session_from_welcome_to_goodbye() -> None:
    r = rehearse(entry="session")
    steps = r.steps()
    assert steps[0] == "session.welcome"
    welcome = r.actions(Say)[0].text
    assert "not therapy" in welcome and welcome.count(".") <= 1
    enrolls = [a for a in r.actions(Listen) if a.enroll]
    assert [a.speaker for a in enrolls] == ["Alex", "Sam"]
    assert [a.step for a in enrolls] == ["session.enroll_first", "session.enroll_second"]
    order = [
        "session.monitor",
        "pause.breath",
        "pause.safety",
        "imago.intro",
        "appreciation.intro",
        "session.closing",
    ]
    assert [s for s in steps if s in order] == order
    assert r.actions(EndSession) == [EndSession("done")]
    assert r.talk_over() == []


def test_enrolling_names_the_partner_only_while_their_enrolment_turn_is_open() -> None:
    seen: list[str | None] = []

    def watch(r: Rehearsal) -> bool:
        if not seen or seen[-1] != r.engine.enrolling:
            seen.append(r.engine.enrolling)
        return False

    engine = Engine(None, PARTNERS, entry="session")
    Rehearsal(engine, happy_replies()).run(until=600, stop=watch)
    # Nobody while welcoming, Alex, nobody while the coach thanks Alex and asks Sam, Sam,
    # then nobody for the rest of the session.
    assert seen == [None, "Alex", None, "Sam", None]


def test_monitor_waits_silently_for_heat() -> None:
    table = happy_replies()
    table["session.monitor"] = "We are just chatting about the weekend."
    engine = Engine(None, PARTNERS, entry="session")
    r = Rehearsal(engine, table).run(until=600)
    assert r.steps()[-1] == "session.monitor"
    assert not engine.finished
    # Nothing said after the "I'll stay quiet" line.
    assert r.said()[-1] == "session.listening"


def test_deterministic() -> None:
    a = rehearse(entry="session")
    b = rehearse(entry="session")
    assert [(t, x) for t, x in a.log] == [(t, x) for t, x in b.log]


def test_enter_step_logged_for_every_step() -> None:
    r = rehearse()
    entered = {(a.script, a.step) for a in r.actions(EnterStep)}
    assert ("imago", "swap") in entered and ("imago", "which_round") in entered


def test_urgent_prompts_cover_the_pause_for_both_partners() -> None:
    texts = Engine(None, PARTNERS).urgent_prompts()
    assert "Let's take a breath together." in texts
    assert "Alex, do you feel safe right now?" in texts
    assert "Sam, do you feel safe right now?" in texts
    assert all("{" not in t for t in texts)


def test_declined_appointment_in_the_session_ends_kindly() -> None:
    r = rehearse(entry="session", **{"imago.appointment": "No, not now."})
    assert "session.closing" not in r.steps()
    assert r.said()[-1] == "session.goodbye_later"
    assert r.actions(EndSession) == [EndSession("later")]
