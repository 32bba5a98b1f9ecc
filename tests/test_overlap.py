"""Interruptions and overlap on two mixed Piper voices (one male-like, one shifted)."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.lab.testaudio import piper_speech, place
from voicecoach.perception.listener import Listener
from voicecoach.perception.overlap import OverlapConfig, OverlapDetector
from voicecoach.perception.types import Interruption, Overlap, Utterance

A = [
    "I feel alone when you work late, and I need you to call me when you can.",
    "Yesterday I waited for two hours and nobody told me anything about the plan.",
]
B = [
    "When you say that, I hear that you are tired and that you miss me a lot.",
    "I was stuck at the office and my phone battery was dead the whole evening.",
]


@pytest.fixture(scope="module")
def voices() -> dict[str, list[np.ndarray]]:
    return {"alex": [piper_speech(t) for t in A], "sam": [piper_speech(t, shift=1.45) for t in B]}


def _run(voices: dict[str, list[np.ndarray]], x: np.ndarray) -> list:
    listener = Listener()
    listener.enroll("alex", voices["alex"][0])
    listener.enroll("sam", voices["sam"][0])
    return listener.feed(x) + listener.flush()


@pytest.mark.parametrize("before_end", [0.7, 1.5])
def test_cutting_in_is_an_interruption(
    voices: dict[str, list[np.ndarray]], before_end: float
) -> None:
    a, b = voices["alex"][1], voices["sam"][1]
    onset = 0.5 + len(a) / 16000 - before_end
    ev = _run(voices, place(onset + len(b) / 16000 + 1.0, [(0.5, a), (onset, b)]))
    hits = [e for e in ev if isinstance(e, Interruption)]
    assert len(hits) == 1
    h = hits[0]
    assert (h.speaker, h.interrupted) == ("sam", "alex")
    assert -0.3 <= h.time - onset <= 1.0
    assert h.t - onset <= 1.2  # decided quickly
    assert h.overlap >= 0.2
    overlaps = [e for e in ev if isinstance(e, Overlap)]
    assert len(overlaps) == 1
    assert overlaps[0].start < onset + 1.0 and overlaps[0].end > onset
    assert [u.speaker for u in ev if isinstance(u, Utterance)] == ["alex", "sam"]


def test_cut_in_pieces_named_from_where_each_voice_was_alone() -> None:
    # Closer voices (Sam's only 1.2x faster): Alex's utterance runs 1.5 s into the
    # overlap, whose mix would blur its d-vector; it is named from its first 2 s alone.
    ea, eb = piper_speech(A[0]), piper_speech(B[0], shift=1.2)
    a, b = piper_speech(A[1]), piper_speech(B[1], shift=1.2)
    listener = Listener()
    listener.enroll("alex", ea)
    listener.enroll("sam", eb)
    x = place(2.5 + len(b) / 16000 + 1.0, [(0.5, a), (2.5, b)])
    ev = listener.feed(x) + listener.flush()
    assert [(e.speaker, e.interrupted) for e in ev if isinstance(e, Interruption)] == [
        ("sam", "alex")
    ]
    assert [u.speaker for u in ev if isinstance(u, Utterance)] == ["alex", "sam"]


def test_taking_turns_is_not_an_interruption(voices: dict[str, list[np.ndarray]]) -> None:
    a, b = voices["alex"][1], voices["sam"][1]
    parts, t = [], 0.5
    for gap, s in ((0.3, a), (0.9, b), (0.4, voices["alex"][0]), (0.5, voices["sam"][0])):
        parts.append((t, s))
        t += len(s) / 16000 + gap
    ev = _run(voices, place(t + 1.0, parts))
    assert [e for e in ev if isinstance(e, (Interruption, Overlap))] == []


def _lls(holder: str, both: bool, slip: bool) -> dict[str, float]:
    """Frame log-likelihoods: the voice heard wins by 4 nats; both at once, a toss-up;
    ``slip``: one of the speaker's frames that looks like the other voice."""
    if both:
        return {"alex": 0.0, "sam": 0.5}
    other = "sam" if holder == "alex" else "alex"
    win = other if slip else holder
    return {win: 0.0, ("sam" if win == "alex" else "alex"): -4.0}


def test_overlap_ends_when_the_intruder_is_heard_alone() -> None:
    # Alex talks, Sam cuts in, Alex stops; Sam goes on alone, with the odd frame that
    # looks like Alex (similar voices); then Alex cuts back in. Both cut-ins count.
    det = OverlapDetector(OverlapConfig(), verify=None)
    det.open(0, "alex")
    plan = (
        [("alex", False)] * 60
        + [("alex", True)] * 20
        + [("sam", False)] * 70
        + [("sam", True)] * 20
        + [("alex", False)] * 40
    )
    out = []
    for i, (who, both) in enumerate(plan):
        slip = who == "sam" and not both and i % 9 == 0
        out += det.step(i, True, -30.0, 0.2, _lls(who, both, slip))
    cuts = [e for e in out if isinstance(e, Interruption)]
    assert [(c.speaker, c.interrupted) for c in cuts] == [("sam", "alex"), ("alex", "sam")]
    assert abs(cuts[0].time - 60 * 0.03) <= 0.3
    assert abs(cuts[1].time - 150 * 0.03) <= 0.3
    assert any(isinstance(e, Overlap) and e.start <= 1.9 for e in out)


def _cut_in_plan(gap: int) -> list[dict[str, float]]:
    """Alex alone; Sam cuts in (after ``gap`` silent frames) louder than Alex, so in the
    0.6 s both talk Sam wins most frames, in runs of up to 6, and Alex clearly only two;
    then Sam alone."""
    alex, sam = _lls("alex", False, False), _lls("sam", False, False)
    both = _lls("alex", True, False)
    overlap = [sam] * 6 + [alex] + [both] * 2 + [sam] * 6 + [alex] + [both] * 4
    return [alex] * 60 + [{}] * gap + overlap + [sam] * 60


@pytest.mark.parametrize("gap", [0, 15])
def test_a_louder_intruder_still_makes_an_interruption(gap: int) -> None:
    cuts = _cuts(_cut_in_plan(gap))
    if gap:  # a pause between the voices (0.45 s): a turn, however it goes on
        assert cuts == []
        return
    assert [(c.speaker, c.interrupted) for c in cuts] == [("sam", "alex")]
    assert abs(cuts[0].time - 60 * 0.03) <= 0.3
    assert cuts[0].overlap >= 0.2


def test_a_faint_last_frame_before_a_pause_does_not_make_a_handover_a_cut_in() -> None:
    # Alex's last frame is faint (the frame model hardly prefers Alex), then a 0.3 s
    # pause, then Sam: the CUSUM may start Sam on that faint frame, but the pause after
    # it still makes this a turn.
    det = OverlapDetector(OverlapConfig(), verify=None)
    det.open(0, "alex")
    alex, sam = _lls("alex", False, False), _lls("sam", False, False)
    faint = {"alex": 0.0, "sam": -0.5}
    out = []
    for i, lls in enumerate([alex] * 60 + [faint] + [{}] * 10 + [sam] * 60):
        out += det.step(i, bool(lls), -30.0, 0.2, lls)
    assert [e for e in out if isinstance(e, Interruption)] == []


@pytest.mark.parametrize("late", [True, False, None])
def test_a_cut_in_the_first_check_turned_down_is_reported_once_on_a_second_look(
    late: bool | None,
) -> None:
    # The first d-vector check sees mostly the overlap and says "still Alex"; the second
    # look, past the overlap, decides. It only reports (the floor stays Alex's), once
    # however often the same candidate comes back, and nothing if it disagrees or its
    # window is never heard.
    asked: list[tuple[int, str, str]] = []

    def second(onset: int, intruder: str, floor: str) -> bool | None:
        asked.append((onset, intruder, floor))
        return late

    det = OverlapDetector(OverlapConfig(), verify=lambda *_: False, verify_late=second)
    det.open(0, "alex")
    out = []
    for i, lls in enumerate(_cut_in_plan(0) + [_lls("sam", False, False)] * 60):
        out += det.step(i, bool(lls), -30.0, 0.2, lls)
    assert asked and {a[1:] for a in asked} == {("sam", "alex")}
    cuts = [e for e in out if isinstance(e, Interruption)]
    overlaps = [e for e in out if isinstance(e, Overlap)]
    if not late:
        assert cuts == [] and overlaps == []
    else:
        assert [(c.speaker, c.interrupted) for c in cuts] == [("sam", "alex")]
        assert abs(cuts[0].time - 60 * 0.03) <= 0.3 and cuts[0].overlap >= 0.2
        assert len(overlaps) == 1 and overlaps[0].start == cuts[0].time
    assert not [c for c in det.changes if c.interruption]  # the floor was not moved


def _second_look_cuts(
    plan: list[dict[str, float]], first: object = lambda *_: False
) -> list[Interruption]:
    """Interruptions reported over ``plan`` when the first check says ``first`` and the
    second look always agrees."""
    det = OverlapDetector(OverlapConfig(), verify=first, verify_late=lambda *_: True)
    det.open(0, "alex")
    out = []
    for i, lls in enumerate(plan):
        out += det.step(i, bool(lls), -30.0, 0.2, lls)
    return [e for e in out if isinstance(e, Interruption)]


def test_the_second_look_reports_no_handover_with_a_broken_pause_in_it() -> None:
    # Alex's last words blur into Sam's (a toss-up), then 0.36 s of silence broken by a
    # breath (no single pause as long as `gap_s`), then Sam alone: the first check
    # sees no pause near the onset, the second look's window is Sam's; still a turn.
    alex, sam = _lls("alex", False, False), _lls("sam", False, False)
    both = _lls("alex", True, False)
    turn = [alex] * 60 + [both] * 8 + [{}] * 6 + [both] + [{}] * 6 + [sam] * 80
    assert _second_look_cuts(turn) == []
    # The same without the silence is a cut-in, and the second look reports it.
    cut = [alex] * 60 + [both] * 8 + [alex, both] * 6 + [sam] * 80
    assert [(c.speaker, c.interrupted) for c in _second_look_cuts(cut)] == [("sam", "alex")]


def test_the_intruder_going_on_after_a_second_look_report_is_not_a_new_cut_in() -> None:
    # Sam cuts in on Alex, a frame in five like Alex's (similar voices); the second look
    # reports it but leaves Alex the floor. Sam talks on, and the first check, seeing
    # Sam alone from 0.9 s past the onset, would confirm Sam "cutting in" again.
    def first(onset: int, intruder: str, floor: str) -> bool:
        return onset >= 90  # from 1.2 s past the onset, 0.8 s past the overlap

    on = [_lls("sam", False, i % 5 == 0) for i in range(120)]
    cuts = _second_look_cuts([_lls("alex", False, False)] * 60 + on, first)
    assert [(c.speaker, c.interrupted) for c in cuts] == [("sam", "alex")]


def test_the_old_floor_holder_cutting_back_in_after_a_second_look_report_is_heard() -> None:
    # As above, Sam cuts in, the second look reports it, and the first check confirms
    # Sam again later: Sam has the floor from there (the overlap was reported already,
    # none is left open), so Alex cutting back in on Sam 3 s on is an interruption too.
    def first(onset: int, intruder: str, floor: str) -> bool:
        return onset >= 90 or intruder == "alex"

    on = [_lls("sam", False, i % 5 == 0) for i in range(100)]
    both, alex = _lls("alex", True, False), _lls("alex", False, False)
    det = OverlapDetector(OverlapConfig(), verify=first, verify_late=lambda *_: True)
    det.open(0, "alex")
    out = []
    for i, lls in enumerate([alex] * 60 + on + [both] * 20 + [alex] * 60):
        out += det.step(i, True, -30.0, 0.2, lls)
    cuts = [e for e in out if isinstance(e, Interruption)]
    assert [(c.speaker, c.interrupted) for c in cuts] == [("sam", "alex"), ("alex", "sam")]
    assert abs(cuts[1].time - 160 * 0.03) <= 0.3
    assert len([e for e in out if isinstance(e, Overlap)]) == 2


@pytest.mark.parametrize("after_pause", [False, True])
def test_a_change_after_a_pause_is_not_placed_before_it(after_pause: bool) -> None:
    # Alex's soft, reverberant last words (0.6 s the frame model hardly prefers Alex),
    # a 0.36 s pause, then Sam with Alex joining in: a turn (the pause), not a cut-in
    # reported back on Alex's soft words, out of reach of the pause around the onset.
    det = OverlapDetector(OverlapConfig(onset_after_pause=after_pause), verify=None)
    det.open(0, "alex")
    faint = {"alex": 0.0, "sam": -0.3}
    plan = [_lls("alex", False, False)] * 60 + [faint] * 20 + [{}] * 12 + _cut_in_plan(0)[60:]
    out = []
    for i, lls in enumerate(plan):
        out += det.step(i, bool(lls), -30.0, 0.2, lls)
    # Without the onset search after the pause, the onset lands on Alex's soft words;
    # the overlap then counts only from the pause on, where Alex is silent: still a turn.
    assert [c for c in out if isinstance(c, Interruption)] == []


def _cuts(
    plan: list[dict[str, float]],
    levels: list[float] | None = None,
    config: OverlapConfig | None = None,
) -> list[Interruption]:
    """Interruptions over ``plan`` (frames' log-likelihoods; {} = no speech), each frame
    at -30 dBFS unless ``levels`` says otherwise; webrtcvad calls every frame with
    likelihoods speech. The d-vector check agrees once its window is heard."""
    now = [0]

    def verify(onset: int, intruder: str, floor: str) -> bool | None:
        return None if now[0] < onset + 28 else True  # the d-vector window after the onset

    det = OverlapDetector(config or OverlapConfig(), verify=verify)
    det.open(0, "alex")
    out = []
    for i, lls in enumerate(plan):
        now[0] = i
        out += det.step(i, bool(lls), -30.0 if levels is None else levels[i], 0.2, lls)
    return [e for e in out if isinstance(e, Interruption)]


ALEX, SAM, BOTH = _lls("alex", False, False), _lls("sam", False, False), _lls("alex", True, False)


@pytest.mark.parametrize("pause", [3, 5, 8])
def test_a_quick_handover_is_not_an_interruption(pause: int) -> None:
    # Alex's last 0.4 s look like Sam's every other frame (similar voices), a pause of
    # only 0.09-0.24 s, then Sam alone: the onset may land in Alex's last words, but a
    # voice that starts after the other's pause takes a turn.
    last = [_lls("alex", False, i % 2 == 0) for i in range(14)]
    assert _cuts([ALEX] * 60 + last + [{}] * pause + [SAM] * 80) == []


@pytest.mark.parametrize("over", [3, 6])
def test_a_turn_over_the_others_last_syllable_is_not_an_interruption(over: int) -> None:
    # Sam starts over Alex's last 0.09-0.18 s (both heard), then Sam alone.
    assert _cuts([ALEX] * 60 + [BOTH] * over + [SAM] * 80) == []


def test_a_cut_in_where_the_floor_holder_goes_on_is_still_an_interruption() -> None:
    # Sam starts while Alex talks on for 0.6 s (frames won by either, or a toss-up),
    # then Sam alone: an interruption at Sam's onset.
    overlap = [BOTH, ALEX, SAM, ALEX, BOTH, SAM] * 3 + [ALEX, ALEX]
    cuts = _cuts([ALEX] * 60 + overlap + [SAM] * 80)
    assert [(c.speaker, c.interrupted) for c in cuts] == [("sam", "alex")]
    assert abs(cuts[0].time - 60 * 0.03) <= 0.3


def test_with_a_quiet_gate_the_noise_between_turns_is_no_evidence_of_a_voice() -> None:
    # Between turns, 0.5 s that webrtcvad passes as speech but 35 dB below the voices
    # (the room, the line, a breath): its frames look like Sam's as often as Alex's.
    # Then Sam after it: a turn, not Sam cutting in on Alex's "speech".
    noise = [_lls("alex", False, i % 2 == 0) for i in range(17)]
    levels = [-30.0] * 60 + [-65.0] * 17 + [-30.0] * 80
    assert _cuts([ALEX] * 60 + noise + [SAM] * 80, levels, OverlapConfig(quiet_db=25.0)) == []


def _words(x: np.ndarray) -> np.ndarray:
    """The clip from its first to its last 10 ms block within 30 dB of its loudest."""
    n = len(x) // 160
    e = 10 * np.log10(np.mean(x[: n * 160].reshape(n, 160) ** 2, axis=1) + 1e-12)
    on = np.flatnonzero(e > e.max() - 30)
    return x[on[0] * 160 : (on[-1] + 1) * 160]


@pytest.mark.parametrize("gap", [0.12, 0.2])
def test_quick_handovers_between_real_voices_are_not_interruptions(
    voices: dict[str, list[np.ndarray]], gap: float
) -> None:
    # Lively turn-taking: each turn's words start 0.12-0.2 s after the other's end. No
    # interruption, and each turn keeps its speaker. (Over the other's last 0.1 s these
    # two voices still give one: the new voice's frames are unsure for 0.8 s.)
    seq = [voices["alex"][1], voices["sam"][1], voices["alex"][0], voices["sam"][0]]
    parts, t = [], 0.5
    for s in map(_words, seq):
        parts.append((t, s))
        t += len(s) / 16000 + gap
    ev = _run(voices, place(t + 1.0, parts))
    assert [e for e in ev if isinstance(e, Interruption)] == []
    said = [u.speaker for u in ev if isinstance(u, Utterance) and u.end - u.start > 0.5]
    assert [s for k, s in enumerate(said) if k == 0 or s != said[k - 1]] == [
        "alex",
        "sam",
        "alex",
        "sam",
    ]


@pytest.mark.parametrize("gap", [0.15, 0.6])
def test_a_soft_onset_is_attributed_to_its_speaker(
    voices: dict[str, list[np.ndarray]], gap: float
) -> None:
    # Sam's words fade in from 25 dB down over their first 0.5 s, 0.15 s (a quick
    # handover) or 0.6 s after Alex's: the soft start is Sam's, not unknown, not Alex's,
    # not left outside every utterance.
    a, b = _words(voices["alex"][1]), _words(voices["sam"][1]).astype(np.float64)
    fade = 8000
    b[:fade] *= 10 ** (np.linspace(-25.0, 0.0, fade) / 20)
    start = 0.5 + len(a) / 16000 + gap
    ev = _run(voices, place(start + len(b) / 16000 + 1.0, [(0.5, a), (start, b)]))
    sam = [u for u in ev if isinstance(u, Utterance) and u.speaker == "sam"]
    blocks = start + 0.01 * np.arange(fade // 160)
    named = [any(u.start <= t < u.end for u in sam) for t in blocks]
    assert np.mean(named) >= 0.95
    assert [e for e in ev if isinstance(e, Interruption)] == []
