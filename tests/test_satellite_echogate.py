"""The satellite's echo gate on its own: which microphone samples it silences."""

import numpy as np

from voicecoach.satellite.echogate import EchoGate
from voicecoach.timebase import SAMPLE_RATE

CHUNK = 1600  # 0.1 s


def _pass(gate: EchoGate, seconds: float) -> np.ndarray:
    out = [gate.pass_audio(np.ones(CHUNK, np.float32)) for _ in range(round(seconds * 10))]
    return np.concatenate(out)


def _silent_s(x: np.ndarray) -> float:
    return float(np.sum(x == 0.0)) / SAMPLE_RATE


def test_a_line_is_gated_for_its_length_latency_and_tail() -> None:
    gate = EchoGate(play_latency_s=0.3, echo_tail_s=0.4)
    assert _silent_s(_pass(gate, 1.0)) == 0.0  # nothing played yet
    start = gate.line_started()
    assert start == SAMPLE_RATE
    during = _pass(gate, 0.5)  # the line is being sent: gated from its start
    gate.line_sent(start, SAMPLE_RATE // 2)
    after = _pass(gate, 2.0)
    assert _silent_s(during) == 0.5
    assert abs(_silent_s(after) - (0.3 + 0.4)) < 1e-9  # 0.5 s line + latency + tail
    assert after[-1] == 1.0 and gate.n == round(3.5 * SAMPLE_RATE)


def test_played_ends_the_gate_a_tail_from_when_it_is_heard() -> None:
    gate = EchoGate(play_latency_s=2.0, echo_tail_s=0.2)
    start = gate.line_started()
    gate.line_sent(start, SAMPLE_RATE)  # planned: 1 s + 2 s latency + 0.2 s tail
    first = _pass(gate, 1.5)
    gate.played()  # heard sooner than assumed
    rest = _pass(gate, 1.5)
    assert _silent_s(first) == 1.5 and abs(_silent_s(rest) - 0.2) < 1e-9


def test_a_disconnection_ends_a_line_being_sent() -> None:
    gate = EchoGate(play_latency_s=0.0, echo_tail_s=0.0)
    gate.line_started()
    gate.disconnected()
    assert _silent_s(_pass(gate, 0.5)) == 0.0
