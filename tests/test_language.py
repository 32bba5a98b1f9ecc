from voicecoach.perception.language import CueTracker, find_cues


def kinds(text: str) -> set[str]:
    return {c.kind for c in find_cues(text)}


def test_criticism_contempt_and_defensiveness_are_recognised():
    assert kinds("You never listen to me!") == {"criticism"}
    assert kinds("It always matters to her, you always do this") == {"criticism"}
    assert kinds("Oh please, you're such an idiot.") == {"contempt"}
    assert kinds("Whatever. Who cares.") == {"contempt"}
    assert kinds("That's not true, what about you?") == {"defensiveness"}


def test_calm_talk_has_no_cues():
    for text in [
        "I feel lonely when every weekend is planned for us.",
        "You make sense, and what makes sense is that you miss me.",
        "Can we always keep Sunday mornings for ourselves?",
        "I never thought about it that way.",
    ]:
        assert kinds(text) == set(), text


def test_one_phrase_never_counts_several_make_detectors_readier():
    tracker = CueTracker(window_s=30.0)
    for cue in find_cues("You never listen!", t=10.0, speaker="Alex"):
        tracker.add(cue)
    assert tracker.readiness(10.0) == 0.0
    for cue in find_cues("Oh please, grow up.", t=14.0, speaker="Sam"):
        tracker.add(cue)
    assert 0.0 < tracker.readiness(14.0) <= tracker.max_readiness
    assert tracker.readiness(60.0) == 0.0  # old cues age out
