"""Quick turn ends: utterances end on a shorter silence while the coach awaits an answer.

The listener's default hangover (0.6 s) keeps a speaker's pauses inside one utterance
while the coach only monitors; while an answer is awaited the session shortens it, so a
finished "Yes." reaches the engine ~0.35 s after the voice stops rather than 0.6 s.
"""

from __future__ import annotations

import numpy as np

from tests.standins import EngineParts, ListenerParts, WholeVoice
from voicecoach import eventlog as ev
from voicecoach.audio.files import ArraySource, TrackSink
from voicecoach.dialogue import protocol as dp
from voicecoach.lab.testaudio import place, vowel_voice
from voicecoach.perception import types as pt
from voicecoach.perception.listener import Listener
from voicecoach.session import ANSWER_HANGOVER_S, Session
from voicecoach.speech.promptcache import PromptCache
from voicecoach.timebase import SAMPLE_RATE


def _two_words_with_a_pause(pause_s: float) -> np.ndarray:
    """1 s of voice, ``pause_s`` of silence, 1 s of voice, then 2 s of silence."""
    word = vowel_voice(1.0, 140.0)
    return place(2.0 + 2 * 1.0 + pause_s + 2.0, [(1.0, word), (2.0 + pause_s, word)])


def _utterances(listener: Listener, audio: np.ndarray) -> list[pt.Utterance]:
    out = []
    for i in range(0, len(audio), 1600):
        out.extend(e for e in listener.feed(audio[i : i + 1600]) if isinstance(e, pt.Utterance))
    out.extend(e for e in listener.flush() if isinstance(e, pt.Utterance))
    return out


def test_shorter_hangover_splits_at_a_half_second_pause_default_does_not():
    audio = _two_words_with_a_pause(0.45)
    default = _utterances(Listener(), audio)
    assert len(default) == 1

    quick = Listener()
    quick.set_hangover(0.3)
    pieces = _utterances(quick, audio)
    assert len(pieces) == 2
    # The first piece is decided ~0.3 s after its voice ended, not 0.6 s.
    first = pieces[0]
    assert 0.25 <= first.t - first.end <= 0.4

    restored = Listener()
    restored.set_hangover(0.3)
    restored.set_hangover(None)  # back to the configured 0.6 s
    assert len(_utterances(restored, audio)) == 1


class _Listener(ListenerParts):
    """Records hangover changes on media time; hears nothing."""

    def __init__(self) -> None:
        self.n = 0
        self.hangovers: list[tuple[float, float | None]] = []

    def feed(self, samples: np.ndarray) -> list[pt.PerceptionEvent]:
        self.n += len(samples)
        return []

    def flush(self) -> list[pt.PerceptionEvent]:
        return []

    def enroll(self, name: str, audio: np.ndarray) -> None:
        pass

    def mute(self, muted: bool) -> None:
        pass

    def set_hangover(self, seconds: float | None) -> None:
        self.hangovers.append((self.n / SAMPLE_RATE, seconds))


class _Engine(EngineParts):
    """Awaits an answer from 1.0 s to 2.0 s of media time."""

    finished = False

    def __init__(self) -> None:
        self.t = 0.0

    @property
    def awaiting_answer(self) -> bool:
        return 1.0 <= self.t < 2.0

    def start(self, t: float) -> list[dp.Action]:
        return []

    def handle(self, event: dp.EngineInput) -> list[dp.Action]:
        self.t = event.t
        return []


class _Silent(WholeVoice):
    def render(self, text: str) -> np.ndarray:
        return np.zeros(160, np.float32)


def test_session_shortens_the_hangover_only_while_an_answer_is_awaited(tmp_path):
    listener = _Listener()
    session = Session(
        listener=listener,
        transcriber=None,  # type: ignore[arg-type]  # nothing is heard
        engine=_Engine(),
        prompts=PromptCache(_Silent()),
        sink=TrackSink("t"),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    session.run(ArraySource(np.zeros(3 * SAMPLE_RATE, np.float32), chunk_samples=480))
    assert [s for _, s in listener.hangovers] == [ANSWER_HANGOVER_S, None]
    (on, _), (off, _) = listener.hangovers
    assert abs(on - 1.0) <= 0.04 and abs(off - 2.0) <= 0.04


def _listens(
    entry: str, until_step: str, *, answer: dict[str, str] | None = None, on_listen=None
) -> dict[str, object]:
    """Drive a real engine on a 30 ms grid (each line plays 1 s) until it listens for
    ``until_step``; ``on_listen(engine)`` is recorded for every step it listens in, and
    ``answer`` gives Alex's words for a step."""
    from voicecoach.dialogue.engine import Engine

    engine = Engine(None, ("Alex", "Sam"), entry=entry)
    t, playing, seen, said = 0.0, None, {}, set()
    actions = engine.start(0.0)
    while t < 90.0:
        for a in actions:
            if isinstance(a, dp.Say):
                playing = (a.id, t + 1.0)
            if isinstance(a, dp.Listen):
                seen.setdefault(a.step, on_listen(engine) if on_listen else None)
        if until_step in seen:
            return seen
        t = round(t + 0.03, 3)
        actions = []
        if playing and t >= playing[1]:
            pid, playing = playing[0], None
            actions += engine.handle(dp.SayDone(t, pid))
        for step, words in (answer or {}).items():
            if step in seen and step not in said:
                said.add(step)
                actions += engine.handle(dp.PartnerSaid(t, "Alex", words, t - 1.0, t))
        actions += engine.handle(dp.Tick(t))
    raise AssertionError(f"{until_step} never came")


def test_engine_awaits_an_answer_only_while_a_turn_is_open():
    def awaiting(engine) -> bool:
        return engine.awaiting_answer

    seen = _listens(
        "session",
        "session.monitor",
        on_listen=awaiting,
        answer={"session.enroll_first": "My day was long."},
    )
    # Learning a voice is not an answer (a sentence or two, keep the pauses inside),
    # nor is monitoring the conversation.
    assert seen["session.enroll_first"] is False
    assert seen["session.monitor"] is False
    assert _listens("imago", "imago.appointment", on_listen=awaiting)["imago.appointment"]


class _CountingVoice:
    """A fake synthesizer: one tone per sentence, its length from the text; logs calls."""

    length_scale = 1.0
    by_sentence = True

    def __init__(self) -> None:
        self.calls: list[str] = []

    def synthesize(self, text: str, **kwargs: float):
        from voicecoach.speech.promptcache import first_sentence

        self.calls.append(text)
        while text:
            first, text = first_sentence(text)
            n = 80 * len(first)
            yield (0.1 * np.sin(np.arange(n) * 0.05 * len(first))).astype(np.float32)


def test_first_sentences_made_ahead_are_used_and_sound_the_same():
    fresh, ahead = PromptCache(_CountingVoice()), PromptCache(_CountingVoice())
    text = "Thank you, Alex. Sam, please mirror back what you heard. Take your time."
    assert ahead.prepare_first([text, "Yes."]) == 2
    assert ahead.voice.calls == ["Thank you, Alex.", "Yes."]
    assert ahead.prepare_first([text]) == 0  # made once

    pieces = list(ahead.stream(text))
    # The opening came from the cache: only the rest was synthesized after the ask.
    assert ahead.voice.calls[2:] == ["Sam, please mirror back what you heard. Take your time."]
    assert len(pieces) == 3
    np.testing.assert_array_equal(np.concatenate(pieces), fresh.get(text))


def test_engine_offers_what_may_follow_an_open_question():
    seen = _listens("imago", "imago.appointment", on_listen=lambda e: e.upcoming_prompts())
    upcoming = seen["imago.appointment"]
    assert upcoming[0].startswith("Sorry, I didn't catch that.")
    # The yes-branch of the appointment: the sender is invited to share (names filled in).
    assert any("Alex" in u and "{" not in u for u in upcoming[1:])


class _AskingEngine(_Engine):
    """Asks at the start; then listens, offering what it may say next."""

    def start(self, t: float) -> list[dp.Action]:
        return [dp.Listen("Alex", "x.ask")]

    def upcoming_prompts(self) -> list[str]:
        return ["Thank you. Now, Sam.", "Sorry, I didn't catch that. Is now a good time?"]


def _synthesized(engine: _Engine, tmp_path) -> list[str]:
    """What the synthesizer was asked for during 1 s of a session with ``engine``."""
    voice = _CountingVoice()
    session = Session(
        listener=_Listener(),
        transcriber=None,  # type: ignore[arg-type]
        engine=engine,
        prompts=PromptCache(voice),
        sink=TrackSink("t"),
        log=ev.EventLog(tmp_path / "events.jsonl"),
    )
    session.run(ArraySource(np.zeros(SAMPLE_RATE, np.float32), chunk_samples=480))
    return voice.calls


def test_session_makes_reply_openings_while_the_partner_has_the_floor(tmp_path):
    assert _synthesized(_AskingEngine(), tmp_path) == ["Thank you.", "Sorry, I didn't catch that."]


def test_is_there_more_offers_both_the_next_round_and_the_summary():
    from voicecoach.dialogue.engine import Engine
    from voicecoach.lab.rehearse import Rehearsal, happy_replies

    engine = Engine(None, ("Alex", "Sam"), entry="imago")
    offered: dict[str, list[str]] = {}
    emit = engine._emit

    def watch(action: dp.Action) -> None:
        if isinstance(action, dp.Listen):
            offered.setdefault(action.step, engine.upcoming_prompts())
        emit(action)

    engine._emit = watch  # type: ignore[method-assign]
    Rehearsal(engine, happy_replies()).run(until=600)
    more = offered["imago.more"]
    assert any(u.startswith("Sam, please sum up") for u in more)  # "no": the summary


def test_the_next_line_opening_is_made_while_a_line_plays(tmp_path):
    class _TwoLines(_Engine):
        def start(self, t: float) -> list[dp.Action]:
            return [dp.Say("x.one", "First line.")]

        def upcoming_prompts(self) -> list[str]:
            return ["Second line. And more."]

    assert _synthesized(_TwoLines(), tmp_path) == ["First line.", "Second line."]


def test_listener_reports_the_open_utterance_while_its_speaker_pauses():
    # What the session transcribes speculatively: the utterance so far, mid-pause.
    listener = Listener()
    listener.set_hangover(0.6)
    audio = _two_words_with_a_pause(0.45)  # voice 1-2 s, pause, voice 2.45-3.45 s
    seen = []
    for i in range(0, len(audio), 480):
        listener.feed(audio[i : i + 480])
        seen.append(((i + 480) / SAMPLE_RATE, listener.pause()))
    during_voice = [p for t, p in seen if 1.3 <= t <= 1.9]
    assert during_voice and all(p is None for p in during_voice)
    mid = next(p for t, p in seen if t >= 2.3)  # 0.3 s into the pause
    assert mid is not None and 0.2 <= mid.silent_s <= 0.4
    assert abs(mid.start - 1.0) <= 0.1 and abs(mid.voiced_end - 2.0) <= 0.1
    assert mid.audio.size == round((mid.end - mid.start) * SAMPLE_RATE)
    later = next(p for t, p in seen if t >= 3.6)  # the voice went on, then paused again
    assert later is not None and later.start == mid.start and later.voiced_end > 3.3
