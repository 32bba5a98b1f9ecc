"""Echo cancellation: generated signals, generated (Piper) speech, and a real echo loop.

Echo reduction is measured on stretches where only the coach's echo is in the mic; the
partner's speech overlapping the coach must come through (correlation with the partner).
"""

from __future__ import annotations

import builtins
import logging
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voicecoach.audio.echo import EchoCanceller, echo_reduction_db

SR = 16_000


# ------------------------------------------------------------------ signals


def speechlike(seconds: float, f0: float, seed: int) -> np.ndarray:
    """A voiced, syllabic signal: pitch pulses through changing formants, 4 Hz envelope."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    pitch = f0 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    pulses = (np.diff(np.floor(np.cumsum(pitch) / SR), prepend=0) > 0).astype(float)
    src = pulses + 0.03 * rng.standard_normal(n)
    out = np.zeros(n + 400)
    syl = SR // 4
    tt = np.arange(400) / SR
    for s in range(0, n, syl):
        formants = [rng.choice([300, 500, 700, 900]), rng.choice([1100, 1500, 1900, 2300]), 2800]
        h = sum(
            np.exp(-np.pi * bw * tt) * np.sin(2 * np.pi * f * tt)
            for f, bw in zip(formants, [80, 100, 150], strict=True)
        )
        seg = np.convolve(src[s : s + syl], h)
        out[s : s + len(seg)] += seg
    out = out[:n]
    voiced = rng.random(int(seconds * 4) + 1)[(t * 4).astype(int)] > 0.15
    out *= np.sqrt(np.abs(np.sin(np.pi * ((t * 4) % 1)))) * voiced
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def echo_path(
    far: np.ndarray, delay_ms: float = 60, gain: float = 0.5, seed: int = 0
) -> np.ndarray:
    """A laptop-like echo: delay, attenuation and a short decaying reverb tail."""
    rng = np.random.default_rng(seed)
    d, tail_len = int(delay_ms * SR / 1000), int(0.15 * SR)
    h = np.zeros(d + tail_len)
    h[d] = gain
    tail = rng.standard_normal(tail_len) * np.exp(-np.arange(tail_len) / (0.03 * SR)) * gain * 0.15
    tail[:16] = 0
    h[d:] += tail
    return np.convolve(far, h)[: len(far)].astype(np.float32)


def highpass(x: np.ndarray, hz: float = 120.0) -> np.ndarray:
    # The canceller high-passes its input; compare partner signals above that band only.
    spec = np.fft.rfft(x)
    spec[: int(hz * len(x) / SR)] = 0
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = highpass(a), highpass(b)
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def run_chunked(aec: EchoCanceller, mic: np.ndarray, far: np.ndarray, seed: int = 1) -> np.ndarray:
    """Feed in random chunk sizes; return the output re-aligned to the input."""
    rng = np.random.default_rng(seed)
    out, i = [], 0
    while i < len(mic):
        n = int(rng.integers(1, 1200))
        out.append(aec.process(mic[i : i + n], far[i : i + n]))
        i += n
    y = np.concatenate(out)
    lat = aec.latency_samples
    return np.concatenate([y[lat:], np.zeros(lat, np.float32)])


def scene(far: np.ndarray, partner: np.ndarray, at_s: float, gain: float = 0.5) -> tuple:
    """mic = echo of ``far`` + ``partner`` from ``at_s`` + a little noise."""
    placed = np.zeros_like(far)
    s0 = int(at_s * SR)
    placed[s0 : s0 + len(partner)] = partner[: len(far) - s0]
    echo = echo_path(far, gain=gain)
    noise = 1e-3 * np.random.default_rng(5).standard_normal(len(far)).astype(np.float32)
    return echo + placed + noise, echo, placed, slice(s0, s0 + len(partner))


# ------------------------------------------------------------------ unit tests


def test_output_has_same_length_and_constant_latency() -> None:
    aec = EchoCanceller()
    x = speechlike(2.0, 150, 3)
    y = np.concatenate([aec.process(x[i : i + 333]) for i in range(0, len(x), 333)])
    assert len(y) == len(x)
    lag = int(np.argmax(np.correlate(y[4000:20000], x[4000:16000], "valid")))
    assert lag == aec.latency_samples


@pytest.mark.parametrize("backend", ["auto", "none"])
def test_chunk_size_invariant(backend: str) -> None:
    far = speechlike(3.0, 120, 1)
    mic = echo_path(far) + 0.5 * speechlike(3.0, 210, 2)
    whole = EchoCanceller(backend).process(mic, far)
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        aec, out, i = EchoCanceller(backend), [], 0
        while i < len(mic):
            n = int(rng.integers(1, 700))
            out.append(aec.process(mic[i : i + n], far[i : i + n]))
            i += n
        np.testing.assert_array_equal(np.concatenate(out), whole)


def test_passthrough_is_delayed_input() -> None:
    aec = EchoCanceller("none")
    x = speechlike(1.0, 150, 4)
    y = aec.process(x, x)
    np.testing.assert_array_equal(y[aec.latency_samples :], x[: -aec.latency_samples])
    assert not y[: aec.latency_samples].any()


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="lengths differ"):
        EchoCanceller("none").process(np.zeros(160), np.zeros(100))
    with pytest.raises(ValueError, match="backend"):
        EchoCanceller("speex")


def test_falls_back_to_passthrough_without_pywebrtc(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pywebrtc_audio":
            raise ImportError("No module named 'pywebrtc_audio'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with caplog.at_level(logging.WARNING):
        aec = EchoCanceller()
    assert aec.backend == "none"
    assert "NOT cancelled" in caplog.text
    with pytest.raises(ImportError):
        EchoCanceller("webrtc")


def test_removes_simulated_echo_and_keeps_partner() -> None:
    far = speechlike(8.0, 120, 1)
    partner = speechlike(2.5, 210, 2)
    mic, echo, placed, seg = scene(far, partner, at_s=4.5)
    aec = EchoCanceller("webrtc")
    out = run_chunked(aec, mic, far)
    echo_only = slice(int(1.5 * SR), int(4.4 * SR))
    erle = echo_reduction_db(echo[echo_only], out[echo_only])
    raw_c, out_c = corr(mic[seg], placed[seg]), corr(out[seg], placed[seg])
    level = 10 * np.log10(np.mean(out[seg] ** 2) / np.mean(placed[seg] ** 2))
    print(
        f"synthetic: echo -{erle:.1f} dB, partner corr {raw_c:.2f} -> {out_c:.2f}, "
        f"partner level {level:+.1f} dB"
    )
    assert erle >= 20
    assert out_c >= 0.55
    assert level >= -8


def test_silence_in_far_end_leaves_mic_alone() -> None:
    mic = speechlike(3.0, 200, 7)
    out = run_chunked(EchoCanceller("webrtc"), mic, np.zeros_like(mic))
    assert corr(out[SR:], mic[SR:]) > 0.95


# ------------------------------------------------------------------ generated speech


@pytest.mark.models
def test_piper_speech_simulated_echo(
    coach_long_speech: np.ndarray, partner_speech: np.ndarray
) -> None:
    far = coach_long_speech
    for gain in (0.5, 1.0):
        mic, echo, placed, seg = scene(far, partner_speech, at_s=4.0, gain=gain)
        out = run_chunked(EchoCanceller("webrtc"), mic, far)
        echo_only = slice(int(1.5 * SR), int(4.0 * SR))
        erle = echo_reduction_db(echo[echo_only], out[echo_only])
        raw_c, out_c = corr(mic[seg], placed[seg]), corr(out[seg], placed[seg])
        print(
            f"piper, echo gain {gain}: echo -{erle:.1f} dB, partner corr {raw_c:.2f} -> {out_c:.2f}"
        )
        assert erle >= 20
        assert out_c >= 0.65
        assert out_c >= raw_c - 0.05


# ------------------------------------------------------------------ real echo loop


def _align(capture: np.ndarray, ref: np.ndarray) -> int:
    n = 1 << int(np.ceil(np.log2(len(capture) + len(ref))))
    xc = np.fft.irfft(np.fft.rfft(capture, n) * np.conj(np.fft.rfft(ref, n)), n)
    return int(np.argmax(xc[: len(capture)]))


@pytest.mark.devices
def test_echo_loopback_cancelled_partner_kept(
    virtual_audio: Any,
    coach_long_speech: np.ndarray,
    partner_speech: np.ndarray,
    tmp_path: Path,
) -> None:
    from voicecoach.audio import devices
    from voicecoach.lab import virtual

    wav = tmp_path / "partner.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(partner_speech, -1, 1) * 32767).astype(np.int16).tobytes())
    # The coach's voice leaks back into the mic 60 ms later at -6 dB, like laptop speakers.
    module = virtual.load_echo_loopback(latency_ms=60, volume=0.5, audio_dir=virtual_audio.dir)
    sink = devices.SpeakerSink("vc_speaker")
    mic = devices.MicSource("virtmic")
    aec = EchoCanceller("webrtc")
    raw: list[np.ndarray] = []
    far: list[np.ndarray] = []
    clean: list[np.ndarray] = []
    player: subprocess.Popen[bytes] | None = None
    n = after = 0
    try:
        for t, chunk in mic.timed_chunks():
            ref = sink.far_end(t + devices.FAR_END_LEAD_S, len(chunk))
            raw.append(chunk)
            far.append(ref)
            clean.append(aec.process(chunk, ref))
            n += len(chunk)
            if n >= int(0.3 * SR) and sink.counters()["played_samples"] == 0 and not sink.busy:
                sink.play(0.0, coach_long_speech)
            if player is None and n >= int(3.8 * SR):
                player = subprocess.Popen(["paplay", "-d", virtual.MICFEED_SINK, str(wav)])
            if player is not None and player.poll() is not None and not sink.busy:
                after += len(chunk)
                if after >= int(0.5 * SR):
                    break
            assert n < 30 * SR, "the coach or the partner never finished"
    finally:
        mic.close()
        sink.close()
        virtual.unload_module(module, virtual_audio.dir)
    x, f = np.concatenate(raw), np.concatenate(far)
    y = np.concatenate(clean)
    lat = aec.latency_samples
    y = np.concatenate([y[lat:], np.zeros(lat, np.float32)])

    coach_on = int(np.flatnonzero(np.abs(f) > 0.01)[0])
    p0 = _align(y, partner_speech)  # where the partner is in the mic
    echo_only = slice(coach_on + SR, p0 - int(0.1 * SR))
    erle = echo_reduction_db(x[echo_only], y[echo_only])
    seg = slice(p0, p0 + len(partner_speech))
    partner = partner_speech[: len(x[seg])]
    raw_c, out_c = corr(x[seg], partner), corr(y[seg], partner)
    kept_db = 10 * np.log10(np.mean(highpass(y[seg]) ** 2) / np.mean(highpass(partner) ** 2))
    print(
        f"echo loop: echo -{erle:.1f} dB over {(p0 - coach_on) / SR - 1.1:.1f} s, partner "
        f"corr {raw_c:.2f} -> {out_c:.2f}, partner level {kept_db:+.1f} dB, "
        f"mic {mic.counters()}, speaker {sink.counters()}"
    )
    assert (p0 - coach_on) / SR > 2.0, "the partner came too early to measure echo alone"
    assert erle >= 15
    # AEC3 ducks some frames of a partner who talks over the coach (double talk): the
    # partner stays clearly there but not intact (0.58-0.79 seen, 0.74-0.93 before).
    assert out_c >= 0.5
    assert kept_db >= -10
    # A glitch or two on a starved machine is reported, and the canceller re-locks after it.
    assert mic.counters()["overflows"] + sink.counters()["underflows"] <= 2


@pytest.mark.devices
def test_echo_cancelled_mic_source(virtual_audio: Any, coach_long_speech: np.ndarray) -> None:
    """The AudioSource the session uses: mic chunks come out with the coach taken away."""
    from voicecoach.audio import devices
    from voicecoach.lab import virtual

    module = virtual.load_echo_loopback(latency_ms=60, volume=0.5, audio_dir=virtual_audio.dir)
    sink = devices.SpeakerSink("vc_speaker")
    source = devices.EchoCancelledMic(devices.MicSource("virtmic"), sink, EchoCanceller())
    out: list[np.ndarray] = []
    try:
        for chunk in source.chunks():
            out.append(chunk)
            n = sum(len(c) for c in out)
            if n >= int(0.3 * SR) and not sink.busy and sink.counters()["played_samples"] == 0:
                sink.play(0.0, coach_long_speech)
            elif sink.counters()["played_samples"] and not sink.busy:
                break
            assert n < 30 * SR
    finally:
        source.close()
        sink.close()
        virtual.unload_module(module, virtual_audio.dir)
    y = np.concatenate(out)
    # The echo arrives at -6 dB; skip the canceller's first second of learning.
    late = y[int(1.5 * SR) :]
    echo_db = 10 * np.log10(np.mean((0.5 * coach_long_speech) ** 2))
    left_db = 10 * np.log10(np.mean(late**2) + 1e-20)
    print(f"echo-cancelled mic: echo {echo_db:.1f} dBFS -> {left_db:.1f} dBFS left")
    assert left_db <= echo_db - 15
