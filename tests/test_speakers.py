"""Speaker attribution on generated voices: enrolled names, ~1 s pieces, unknown, auto labels."""

from __future__ import annotations

import numpy as np
import pytest
import webrtcvad

from voicecoach.lab.testaudio import piper_speech, place
from voicecoach.perception.features import analyse_audio
from voicecoach.perception.listener import Listener, ListenerConfig
from voicecoach.perception.overlap import OverlapConfig, TurnChange
from voicecoach.perception.speakers import (
    Attribution,
    FrameModel,
    SpeakerBank,
    VoiceProfile,
    shrinkage,
    speech_frames,
)
from voicecoach.perception.stages.attribute import AttributeSettings, agreed, relative_ll
from voicecoach.perception.stages.frames import Frame, frames_of
from voicecoach.perception.stages.strangers import far_runs
from voicecoach.perception.stages.turns import TurnSettings
from voicecoach.perception.types import UNKNOWN, Utterance, VoiceStart
from voicecoach.perception.vad import vad_flags

ALEX = [
    "I feel alone when you work late, and I need you to call me when you can.",
    "Yesterday I waited for two hours and nobody told me anything about the plan.",
    "Okay.",
]
SAM = [
    "When you say that, I hear that you are tired and that you miss me a lot.",
    "I was stuck at the office and my phone battery was dead the whole evening.",
    "Fine.",
]
SAM_SHIFT = 1.45  # faster playback: higher pitch and formants, a different voice


@pytest.fixture(scope="module")
def voices() -> dict[str, list[np.ndarray]]:
    return {
        "alex": [piper_speech(t) for t in ALEX],
        "sam": [piper_speech(t, shift=SAM_SHIFT) for t in SAM],
    }


def _listener(voices: dict[str, list[np.ndarray]]) -> Listener:
    listener = Listener()
    listener.enroll("alex", voices["alex"][0])
    listener.enroll("sam", voices["sam"][0])
    return listener


def _utts(listener: Listener, x: np.ndarray) -> list[Utterance]:
    return [e for e in listener.feed(x) + listener.flush() if isinstance(e, Utterance)]


def test_enrolled_partners_are_named(voices: dict[str, list[np.ndarray]]) -> None:
    a, b = voices["alex"][1], voices["sam"][1]
    x = place(12, [(0.5, a), (0.5 + len(a) / 16000 + 1.0, b)])
    utts = _utts(_listener(voices), x)
    assert [u.speaker for u in utts] == ["alex", "sam"]


def test_one_second_pieces(voices: dict[str, list[np.ndarray]]) -> None:
    # Cut ~1 s pieces out of unseen sentences and present them as separate utterances.
    parts, truth, t = [], [], 0.3
    for name in ("alex", "sam"):
        s = voices[name][1]
        for k in range(2):
            piece = s[int((0.4 + 1.1 * k) * 16000) : int((1.4 + 1.1 * k) * 16000)]
            parts.append((t, piece))
            truth.append(name)
            t += 1.0 + 1.0
    utts = _utts(_listener(voices), place(t + 0.5, parts))
    assert len(utts) == len(truth)
    got = [u.speaker for u in utts]
    # Never the wrong partner; "unknown" is allowed but should be rare.
    assert all(g in (w, UNKNOWN) for g, w in zip(got, truth, strict=True))
    assert sum(g == w for g, w in zip(got, truth, strict=True)) >= 3


def test_stranger_is_unknown(voices: dict[str, list[np.ndarray]]) -> None:
    stranger = piper_speech(ALEX[1], shift=0.72)  # much deeper, slower: someone else
    utts = _utts(_listener(voices), place(8, [(0.5, stranger)]))
    assert [u.speaker for u in utts] == [UNKNOWN]


def test_auto_labels_without_enrolment(voices: dict[str, list[np.ndarray]]) -> None:
    a1, a2 = voices["alex"][0], voices["alex"][1]
    b1, b2 = voices["sam"][0], voices["sam"][1]
    parts, t = [], 0.5
    for s in (a1, b1, a2, b2):
        parts.append((t, s))
        t += len(s) / 16000 + 1.0
    utts = _utts(Listener(), place(t, parts))
    assert [u.speaker for u in utts] == ["speaker1", "speaker2", "speaker1", "speaker2"]


def test_quick_handover_inside_the_hangover_is_split(voices: dict[str, list[np.ndarray]]) -> None:
    # Sam answers 0.3 s after Alex stops: the VAD hears one segment (its hangover is
    # 0.6 s), yet each voice gets its own utterance.
    a, b = voices["alex"][1], voices["sam"][1]
    onset = 0.5 + len(a) / 16000 + 0.3
    utts = _utts(_listener(voices), place(onset + len(b) / 16000 + 1.0, [(0.5, a), (onset, b)]))
    assert [u.speaker for u in utts] == ["alex", "sam"]
    assert abs(utts[1].start - onset) < 0.35


def test_segment_settled_at_its_end(voices: dict[str, list[np.ndarray]]) -> None:
    # The same, with the live change detectors switched off: the split found when the
    # segment closes must do it alone, with pieces back to back (no unlabelled gap).
    listener = Listener(
        ListenerConfig(
            attribute=AttributeSettings(recheck_s=1e6),
            turns=TurnSettings(overlap=OverlapConfig(trigger=1e9)),
        )
    )
    listener.enroll("alex", voices["alex"][0])
    listener.enroll("sam", voices["sam"][0])
    a, b = voices["alex"][1], voices["sam"][1]
    onset = 0.5 + len(a) / 16000 + 0.3
    utts = _utts(listener, place(onset + len(b) / 16000 + 1.0, [(0.5, a), (onset, b)]))
    assert [u.speaker for u in utts] == ["alex", "sam"]
    assert utts[0].end == utts[1].start
    assert utts[0].t == utts[1].t  # decided together, when the segment closed
    assert abs(utts[1].start - onset) < 0.35


def test_one_voice_is_not_split(voices: dict[str, list[np.ndarray]]) -> None:
    a1, a2 = voices["alex"][0], voices["alex"][1]
    x = place(14, [(0.5, a1), (0.5 + len(a1) / 16000 + 0.2, a2)])
    utts = _utts(_listener(voices), x)
    assert [u.speaker for u in utts] == ["alex"]


class _FakeEmbedder:
    """The first window it is asked for sounds like nobody in particular, every later one
    like ``later``; counts the windows, as the real embedder does."""

    def __init__(self, first: np.ndarray, later: np.ndarray) -> None:
        self.first, self.later, self.windows_run = first, later, 0

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        out = [self.first if self.windows_run + i == 0 else self.later for i in range(len(chunks))]
        self.windows_run += len(chunks)
        return np.stack(out)


def _frames_of(audio: np.ndarray) -> list[Frame]:
    block = analyse_audio(audio)
    return frames_of(block, vad_flags(block.pcm, block.level_db, webrtcvad.Vad(2)))


def test_a_doubtful_utterance_is_heard_again_at_length(voices: dict[str, list[np.ndarray]]) -> None:
    listener = _listener(voices)
    alex, sam = listener.bank.get("alex"), listener.bank.get("sam")
    assert alex is not None and sam is not None
    # A window that sounds like neither partner (orthogonal to both d-vectors).
    basis, _ = np.linalg.qr(
        np.stack([alex.embedding, sam.embedding, np.random.default_rng(0).normal(size=256)]).T
    )
    nobody = basis[:, 2]
    frames = _frames_of(voices["alex"][1])
    assert len(frames) * 0.03 > 3.0  # one window by the 1-per-3-s rule, 3+ when in doubt
    fake = _FakeEmbedder(nobody, alex.embedding)
    listener.embedder = fake  # type: ignore[assignment]
    # A live check hears that one window: no name, and no second hearing.
    assert listener.attributor.attribute(frames, max_windows=1) == UNKNOWN
    assert fake.windows_run == 1
    # The utterance's own verdict hears more of it (reusing that window) and names Alex.
    assert listener.attributor.attribute(frames, max_windows=2) == "alex"
    assert 2 <= fake.windows_run - 1 <= AttributeSettings().doubt_windows
    # A confident first hearing costs nothing more.
    listener.windows.clear()
    fake.first = alex.embedding
    fake.windows_run = 0
    assert listener.attributor.attribute(frames, max_windows=2) == "alex"
    assert fake.windows_run == 1


def test_a_second_hearing_names_only_what_both_models_agree_on() -> None:
    sims = {"alex": 0.62, "sam": 0.55}
    named = Attribution("alex", 0.5, sims)
    assert agreed(named, {"alex": -0.3, "sam": -2.0}, 0.5).speaker == "alex"
    # The frame model prefers the other partner: a stranger edging toward one of them.
    assert agreed(named, {"alex": -2.0, "sam": -0.3}, 0.5).speaker == UNKNOWN
    # Both agree, but the d-vector is not as close as a first hearing must be.
    far = Attribution("alex", 0.5, {"alex": 0.42, "sam": 0.2})
    assert agreed(far, {"alex": -0.3, "sam": -3.0}, 0.5).speaker == UNKNOWN
    # Too few frames for the frame model to have a say: no agreement, no name.
    assert agreed(named, None, 0.5).speaker == UNKNOWN
    assert agreed(Attribution(UNKNOWN, 0.0, sims), None, 0.5).speaker == UNKNOWN


def test_a_piece_shorter_than_a_d_vector_window_is_not_split_off_on_its_word(
    voices: dict[str, list[np.ndarray]],
) -> None:
    # Alex talks on; the change-point search suggests a cut 0.6 s before the end. The
    # embedder, fed a window that is mostly padding, "hears" Sam there. That must not
    # split Alex's utterance: a sub-window piece is named only with the frame model's
    # clear support, and Alex's own frames do not give it to Sam.
    listener = _listener(voices)
    sam = listener.bank.get("sam")
    assert sam is not None
    frames = _frames_of(voices["alex"][1])
    voiced = [i for i, f in enumerate(frames) if f.vad]
    tail = 16  # voiced frames after the cut: too few for the frame-model verdict
    assert len(frames) - voiced[-tail] < 28

    class PaddingHearsSam:
        windows_run = 0

        def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
            real = listener_real.embed_chunks(chunks)
            return np.stack(
                [
                    sam.embedding if len(c) < 28 * 480 else e
                    for c, e in zip(chunks, real, strict=True)
                ]
            )

    listener_real = listener.embedder
    listener.embedder = PaddingHearsSam()  # type: ignore[assignment]
    listener.settler.cuts = lambda d, lo, hi, depth: [len(d) - tail]  # type: ignore[method-assign]
    assert listener.settler.settle(frames) is None


def test_a_frame_model_from_few_frames_is_not_confidently_wrong() -> None:
    """With few frames per cepstrum the covariance is pulled harder to its diagonal: on
    new frames of the same voice the model fits better than one shrunk as little as a
    long enrolment allows."""
    rng = np.random.default_rng(3)
    dims = 20
    mix = rng.normal(size=(dims, dims)) / np.sqrt(dims)
    cov = mix @ mix.T + np.diag(rng.uniform(0.5, 2.0, dims))
    draw = lambda n: rng.multivariate_normal(np.zeros(dims), cov, size=n)  # noqa: E731
    train, test = draw(45), draw(2000)
    assert shrinkage(45, dims) > shrinkage(400, dims) == 0.2
    model = FrameModel.fit(train)
    mean = train.mean(axis=0)
    fixed = 0.8 * np.cov(train.T) + 0.2 * np.diag(np.diag(np.cov(train.T)))
    d = test - mean
    ll_fixed = -0.5 * (
        np.einsum("ij,jk,ik->i", d, np.linalg.inv(fixed), d) + np.linalg.slogdet(fixed)[1]
    )
    assert model.loglik(test).mean() > ll_fixed.mean() + 0.5


def test_the_frame_model_tells_close_voices_apart_on_a_new_sentence() -> None:
    """Two voices only 8 % apart in pitch and formants (closer than most same-sex
    partners): learnt on one sentence each, their next sentences are given to the right
    voice in most 0.3 s stretches (24 mel bands and 13 cepstra managed ~72 %)."""

    def cepstra(x: np.ndarray) -> np.ndarray:
        block = analyse_audio(x)
        mask = speech_frames(block, vad_flags(block.pcm, block.level_db, webrtcvad.Vad(2)))
        return block.mfcc[mask]

    models = {
        name: FrameModel.fit(cepstra(piper_speech(text[0], shift=shift)))
        for name, text, shift in (("a", ALEX, 1.0), ("b", SAM, 1.08))
    }
    for name, text, shift in (("a", ALEX, 1.0), ("b", SAM, 1.08)):
        x = cepstra(piper_speech(text[1], shift=shift))
        other = "b" if name == "a" else "a"
        d = models[other].loglik(x) - models[name].loglik(x)
        windows = np.convolve(np.clip(d, -8, 8), np.ones(10) / 10, "valid")
        assert np.mean(windows < 0) >= 0.85, name


def test_frames_unlike_every_voice_have_no_say() -> None:
    rng = np.random.default_rng(5)
    bank = SpeakerBank()
    for name, centre in (("a", 0.0), ("b", 1.0)):
        model = FrameModel.fit(rng.normal(centre, 1.0, size=(300, 20)))
        bank.add(VoiceProfile(name, np.ones(4) / 2, model, None))
    near = rng.normal(0.0, 1.0, size=(30, 20))  # voice a's
    far = rng.normal(-6.0, 1.0, size=(70, 20))  # nobody's, though nearer to a than to b
    lls = bank.frame_loglik(np.vstack([near, far]))
    known = bank.known_frames(lls)
    assert known[:30].mean() > 0.9 and not known[30:].any()
    assert np.array_equal(lls["a"][30:], lls["b"][30:])
    assert relative_ll(bank.frame_loglik(near))["b"] < -1.0  # a's frames: a verdict
    assert relative_ll(lls) == {"a": 0.0, "b": 0.0}  # mostly nobody's: none


def _bank_of_two() -> tuple[SpeakerBank, np.ndarray, np.ndarray]:
    bank = SpeakerBank()
    alex, sam = np.eye(256)[0], np.eye(256)[1]
    bank.add(VoiceProfile("alex", alex, None, None))
    bank.add(VoiceProfile("sam", sam, None, None))
    return bank, alex, sam


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_a_weak_d_vector_needs_a_lead_for_the_frame_model_to_vouch_for_it() -> None:
    bank, alex, sam = _bank_of_two()
    rest = np.eye(256)[2]
    frames_say_alex = {"alex": -0.1, "sam": -2.0}
    # Weak and level with Sam (a stranger far from both): named only without a lead.
    level = _unit(0.42 * alex + 0.40 * sam + 0.81 * rest)
    assert bank.attribute(level, frame_llr=frames_say_alex).speaker == "alex"
    assert bank.attribute(level, frame_llr=frames_say_alex, lead=0.04).speaker == UNKNOWN
    # Weak but ahead of Sam: the frame model still settles it.
    ahead = _unit(0.45 * alex + 0.38 * sam + 0.81 * rest)
    assert bank.attribute(ahead, frame_llr=frames_say_alex, lead=0.04).speaker == "alex"
    # A d-vector close enough to name on its own needs no lead (similar partners).
    close = _unit(0.60 * alex + 0.58 * sam + 0.55 * rest)
    assert bank.attribute(close, frame_llr=frames_say_alex, lead=0.04).speaker == "alex"


class _WindowEmbedder:
    """Windows starting before frame ``cut`` sound like ``early``, later ones like
    ``late``; counts the windows."""

    def __init__(self, frames: list[Frame], cut: int, early: np.ndarray, late: np.ndarray) -> None:
        self.starts = {f.pcm.tobytes(): f.idx for f in frames}
        self.cut, self.early, self.late, self.windows_run = cut, early, late, 0

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        self.windows_run += len(chunks)
        return np.stack(
            [self.early if self.starts[c[:480].tobytes()] < self.cut else self.late for c in chunks]
        )


def _alex_and_nobody(listener: Listener) -> tuple[VoiceProfile, np.ndarray]:
    """Alex's profile, and a unit d-vector orthogonal to both partners' (nobody's)."""
    alex = listener.bank.get("alex")
    assert alex is not None
    basis, _ = np.linalg.qr(
        np.stack(
            [
                alex.embedding,
                listener.bank.profiles[1].embedding,
                np.random.default_rng(0).normal(size=256),
            ]
        ).T
    )
    return alex, basis[:, 2]


def test_a_third_voice_in_a_partner_piece_is_unknown(voices: dict[str, list[np.ndarray]]) -> None:
    listener = _listener(voices)
    alex, nobody = _alex_and_nobody(listener)
    frames = _frames_of(voices["alex"][1])
    assert len(frames) >= 4 * 28
    cut = frames[2 * 28].idx  # a stranger from the third window on
    fake = _WindowEmbedder(frames, cut, alex.embedding, nobody)
    listener.embedder = fake  # type: ignore[assignment]
    # Only the first window heard, Alex's: nothing to doubt, nothing more computed.
    listener.windows.mean(frames, 1)
    assert listener.strangers.split(frames, "alex") == [(frames, "alex")]
    assert fake.windows_run == 1
    # One heard window far from both partners: every window is heard, and the far run
    # (from the third window to the end) is UNKNOWN.
    listener.windows.mean(frames[2 * 28 :], 1)
    pieces = listener.strangers.split(frames, "alex")
    assert [(p[0].idx, n) for p, n in pieces] == [(frames[0].idx, "alex"), (cut, UNKNOWN)]
    assert sum(len(p) for p, _ in pieces) == len(frames)
    # A piece whose every window is far from both is nobody's.
    listener.windows.clear()
    fake.early = nobody
    listener.windows.mean(frames, 1)
    assert listener.strangers.split(frames, "alex") == [(frames, UNKNOWN)]
    # An UNKNOWN piece, or a single expected voice, is left as it is.
    assert listener.strangers.split(frames, UNKNOWN) == [(frames, UNKNOWN)]


def test_a_third_voice_in_a_piece_split_off_live_is_unknown(
    voices: dict[str, list[np.ndarray]],
) -> None:
    listener = _listener(voices)
    alex, nobody = _alex_and_nobody(listener)
    frames = _frames_of(voices["alex"][1])
    voiced = [i for i, f in enumerate(frames) if f.vad]
    frames = frames[: voiced[-1] + 1]
    assert len(frames) >= 4 * 28
    cut = frames[2 * 28].idx  # a stranger from the third window on
    listener.embedder = _WindowEmbedder(
        frames,
        cut,
        alex.embedding,  # type: ignore[assignment]
        nobody,
    )
    listener.windows.mean(frames[2 * 28 :], 1)  # a live re-check heard the stranger
    end = frames[-1].idx + 1
    listener._frames = list(frames)
    out = listener._split(TurnChange(end, "sam", "alex", end, False), end)
    utts = [e for e in out if isinstance(e, Utterance)]
    # The piece closed live is named on its first window (Alex's); the re-check being
    # far from both partners, it is heard throughout like a piece closed with its
    # segment: the stranger's run is UNKNOWN, the rest stays Alex's, and they tile it.
    assert [(u.start, u.speaker) for u in utts] == [
        (frames[0].idx * 0.03, "alex"),
        (cut * 0.03, UNKNOWN),
    ]
    assert utts[0].end == utts[1].start and utts[-1].end == pytest.approx(end * 0.03)
    assert isinstance(out[-1], VoiceStart) and out[-1].speaker == "sam"


def test_far_runs_take_weak_windows_only_beside_another() -> None:
    far = [False, False, False, True, False, False]
    weak = [True, False, True, True, False, True]
    # The weak window next to the far one joins it; lone weak windows keep their name.
    assert far_runs(far, weak) == [False, False, True, True, False, False]
    assert far_runs([False, False], [True, True]) == [True, True]
    assert far_runs([True], [True]) == [True]


class _ByStart:
    """Each window's d-vector by the index of its first frame."""

    def __init__(self, frames: list[Frame], by_window: list[np.ndarray]) -> None:
        self.starts = {f.pcm.tobytes(): f.idx // 28 - frames[0].idx // 28 for f in frames}
        self.by_window, self.windows_run = by_window, 0

    def embed_chunks(self, chunks: list[np.ndarray]) -> np.ndarray:
        self.windows_run += len(chunks)
        return np.stack([self.by_window[self.starts[c[:480].tobytes()]] for c in chunks])


def test_a_weak_window_beside_a_far_one_is_the_stranger_s(
    voices: dict[str, list[np.ndarray]],
) -> None:
    listener = _listener(voices)
    alex, nobody = _alex_and_nobody(listener)
    run = listener.cfg.strangers.run
    assert listener.cfg.strangers.far < run
    # Below `stranger_run` to Alex, above `stranger_far`, about nothing to Sam.
    c = (listener.cfg.strangers.far + run) / 2
    weak = _unit(c * alex.embedding + np.sqrt(1 - c * c) * nobody)
    assert (
        listener.cfg.strangers.far
        < max(float(weak @ p.embedding) for p in listener.bank.profiles)
        < run
    )
    frames = _frames_of(voices["alex"][1])
    frames = frames[: 4 * 28]
    windows = [weak, alex.embedding, alex.embedding, nobody]
    listener.embedder = _ByStart(frames, windows)  # type: ignore[assignment]
    listener.windows.mean(frames[3 * 28 :], 1)  # a live re-check heard the far one
    # A weak window alone (beside Alex's) keeps the name; the far one is nobody's.
    assert listener.strangers.split(frames, "alex") == [
        (frames[: 3 * 28], "alex"),
        (frames[3 * 28 :], UNKNOWN),
    ]
    # A weak window beside the far one is the stranger's too.
    windows[2] = weak
    listener.windows.clear()
    listener.windows.mean(frames[3 * 28 :], 1)
    pieces = listener.strangers.split(frames, "alex")
    assert [(p[0].idx, n) for p, n in pieces] == [
        (frames[0].idx, "alex"),
        (frames[2 * 28].idx, UNKNOWN),
    ]
    # A heard window merely weak (below `stranger_doubt`) is doubt enough to hear the
    # piece throughout: with its weak neighbour it is the stranger's run.
    assert c < listener.cfg.strangers.doubt
    windows[:] = [alex.embedding, alex.embedding, weak, weak]
    listener.windows.clear()
    listener.windows.mean(frames[3 * 28 :], 1)
    pieces = listener.strangers.split(frames, "alex")
    assert [(p[0].idx, n) for p, n in pieces] == [
        (frames[0].idx, "alex"),
        (frames[2 * 28].idx, UNKNOWN),
    ]
