"""Live audio through the real sounddevice/PortAudio path, on virtual PulseAudio devices.

Assertions are thresholds with about +-50 ms tolerance: real devices add latency and jitter.
"""

from __future__ import annotations

import builtins
import subprocess
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voicecoach.audio import devicelist, devices
from voicecoach.errors import UserError
from voicecoach.lab import virtual

SR = 16_000


# ------------------------------------------------------------------ helpers


def frame_rms(x: np.ndarray, frame: int = 160) -> np.ndarray:
    n = len(x) // frame * frame
    return np.sqrt(np.mean(x[:n].reshape(-1, frame) ** 2, axis=1))


def voiced_span(x: np.ndarray, thr: float = 0.01) -> tuple[float, float]:
    """(first, last) second of 10 ms frames whose RMS is above ``thr``."""
    on = np.flatnonzero(frame_rms(x) > thr)
    if not len(on):
        return (0.0, 0.0)
    return on[0] / 100, (on[-1] + 1) / 100


def align(capture: np.ndarray, ref: np.ndarray) -> tuple[int, float]:
    """Lag of ``ref`` inside ``capture`` and the normalised correlation there."""
    n = 1 << int(np.ceil(np.log2(len(capture) + len(ref))))
    xc = np.fft.irfft(np.fft.rfft(capture, n) * np.conj(np.fft.rfft(ref, n)), n)
    lag = int(np.argmax(xc[: len(capture)]))
    seg = capture[lag : lag + len(ref)]
    r = ref[: len(seg)]
    corr = float(np.dot(seg, r) / (np.linalg.norm(seg) * np.linalg.norm(r) + 1e-12))
    return lag, corr


def write_wav(path: Path, audio: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


# ------------------------------------------------------------------ listing, errors


@pytest.mark.devices
def test_list_devices_shows_virtual_devices() -> None:
    names = [d.name for d in devicelist.list_devices()]
    assert any("virtmic" in n for n in names), names
    assert any("speaker" in n for n in names), names
    assert devicelist.resolve_device("virtmic", "input").name == virtual.PA_MIC
    assert "vc_speaker" in devicelist.format_devices()


@pytest.mark.devices
def test_unknown_device_lists_names() -> None:
    with pytest.raises(UserError) as err:
        devicelist.resolve_device("no-such-card", "input")
    assert "no-such-card" in str(err.value)
    assert virtual.PA_MIC in str(err.value)
    with pytest.raises(UserError, match="index 999"):
        devicelist.resolve_device(999, "output")


def test_missing_portaudio_says_install_libportaudio2(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(UserError, match="libportaudio2"):
        devicelist.list_devices()
    with pytest.raises(UserError, match="libportaudio2"):
        devices.MicSource()


def test_no_devices_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devicelist, "list_devices", lambda: [])
    with pytest.raises(UserError, match="microphone"):
        devicelist.resolve_device(None, "input")
    with pytest.raises(UserError, match="speaker"):
        devicelist.resolve_device("x", "output")


# ------------------------------------------------------------------ microphone in


@pytest.mark.devices
def test_mic_reads_speech_fed_into_virtual_mic(coach_speech: np.ndarray, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "speech.wav", coach_speech)
    mic = devices.MicSource("virtmic")
    got: list[np.ndarray] = []
    player: subprocess.Popen[bytes] | None = None
    tail = 0
    for chunk in mic.chunks():
        got.append(chunk)
        n = sum(len(c) for c in got)
        if player is None and n >= int(0.3 * SR):
            # paplay, not our code, feeds the mic: this test checks only MicSource.
            player = subprocess.Popen(["paplay", "-d", virtual.MICFEED_SINK, str(wav)])
        elif player is not None and player.poll() is not None:
            tail += len(chunk)
            if tail >= int(0.4 * SR):
                break
        assert n < 20 * SR, "paplay never finished"
    mic.close()
    assert player is not None and player.returncode == 0
    audio = np.concatenate(got)
    lag, corr = align(audio, coach_speech)
    a0, a1 = voiced_span(audio)
    r0, r1 = voiced_span(coach_speech)
    print(
        f"mic: lag {lag / SR * 1000:.0f} ms, corr {corr:.3f}, voiced {a1 - a0:.3f}s "
        f"vs {r1 - r0:.3f}s, counters {mic.counters()}"
    )
    assert corr > 0.9
    assert abs((a1 - a0) - (r1 - r0)) <= 0.05
    assert mic.counters()["dropped_samples"] == 0


@pytest.mark.devices
def test_mic_chunks_end_after_close() -> None:
    mic = devices.MicSource("virtmic", blocksize=160)
    threading.Timer(0.3, mic.close).start()
    n = sum(len(c) for c in mic.chunks())
    assert 0.1 * SR < n < 2 * SR


@pytest.mark.devices
def test_mic_failure_is_an_error_not_an_end() -> None:
    mic = devices.MicSource("virtmic", blocksize=160)
    chunks = mic.chunks()
    next(chunks)
    mic._finished()  # what PortAudio calls when the device goes away mid-stream
    with pytest.raises(UserError, match="stopped"):
        for _ in chunks:
            pass
    mic.close()
    assert mic.counters()["errors"] == 1


@pytest.mark.devices
def test_mic_stall_is_reported() -> None:
    mic = devices.MicSource("virtmic", stall_s=0.5)
    mic._callback = lambda *args: None  # type: ignore[method-assign]  # a device gone silent
    with pytest.raises(UserError, match="no audio for"):
        next(mic.chunks())
    mic.close()
    assert mic.counters()["errors"] == 1


# ------------------------------------------------------------------ speaker out


@pytest.mark.devices
def test_speaker_plays_prompt(coach_speech: np.ndarray) -> None:
    with (
        virtual.Recorder(virtual.PA_SPEAKER_MONITOR) as rec,
        devices.SpeakerSink("vc_speaker") as sink,
    ):
        time.sleep(0.2)
        t_play = time.monotonic()
        sink.play(0.0, coach_speech)
        assert sink.busy
        assert sink.wait(timeout=10)
        time.sleep(0.4)
    audio = rec.audio()
    lag, corr = align(audio, coach_speech)
    a0, a1 = voiced_span(audio)
    r0, r1 = voiced_span(coach_speech)
    onset = rec.arrival(int(a0 * SR)) - t_play - r0
    print(
        f"speaker: corr {corr:.3f}, voiced {a1 - a0:.3f}s vs {r1 - r0:.3f}s, "
        f"play->heard {onset * 1000:.0f} ms, counters {sink.counters()}"
    )
    assert corr > 0.9
    assert abs((a1 - a0) - (r1 - r0)) <= 0.05
    assert onset < 0.3
    assert sink.counters()["played_samples"] == len(coach_speech)


@pytest.mark.devices
def test_barge_in_stop_cuts_within_300ms() -> None:
    # A steady tone, so the cut is the last loud sample (speech has pauses).
    tone = 0.4 * np.sin(2 * np.pi * 440 * np.arange(4 * SR) / SR).astype(np.float32)
    with (
        virtual.Recorder(virtual.PA_SPEAKER_MONITOR) as rec,
        devices.SpeakerSink("vc_speaker") as sink,
    ):
        time.sleep(0.2)
        t_play = time.monotonic()
        sink.play(0.0, tone)
        time.sleep(1.0)
        t_stop = time.monotonic()
        sink.stop(1.0)
        assert sink.wait(timeout=1.0)
        time.sleep(0.6)
    loud = np.flatnonzero(frame_rms(rec.audio()) > 0.1)
    assert len(loud), "nothing was heard"
    first, last = loud[0] * 160, (loud[-1] + 1) * 160 - 1
    heard_after_call = rec.arrival(last) - t_stop  # includes the monitor's own latency
    # Independent of capture latency: tone heard in total minus tone due by the call.
    by_content = (last - first) / SR - (t_stop - rec.arrival(first))
    onset = rec.arrival(first) - t_play
    print(
        f"barge-in: stop->silent {heard_after_call * 1000:.0f} ms (by content "
        f"{by_content * 1000:.0f} ms), play->heard {onset * 1000:.0f} ms, "
        f"played {(last - first) / SR:.2f}s of 4s, counters {sink.counters()}"
    )
    assert heard_after_call <= 0.3
    assert (last - first) / SR < 2.0
    assert sink.counters()["stops"] == 1


# ------------------------------------------------------------------ harness install guard


def test_harness_does_not_install_off_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(virtual, "missing_packages", lambda: ["pulseaudio"])
    monkeypatch.setattr(virtual.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("VC_AUDIO_INSTALL", raising=False)
    with pytest.raises(virtual.VirtualAudioUnavailable, match="apt-get install"):
        virtual.ensure_packages()
    assert calls == []


def test_harness_installs_on_ci_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    missing = iter([["pulseaudio", "libportaudio2"], []])
    monkeypatch.setattr(virtual, "missing_packages", lambda: next(missing))
    monkeypatch.setattr(
        virtual.subprocess,
        "run",
        lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0, "", ""),
    )
    monkeypatch.setattr(virtual.os, "geteuid", lambda: 0)
    monkeypatch.setattr(virtual.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setenv("CI", "true")
    virtual.ensure_packages()
    assert calls and calls[0][:2] == ["apt-get", "install"]
    assert set(virtual.APT_PACKAGES) <= set(calls[0])


def test_same_card_under_several_host_apis_prefers_the_default_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def dev(i: int, name: str, api: str, default: bool = False) -> devicelist.DeviceInfo:
        return devicelist.DeviceInfo(i, name, api, 2, 2, 48000.0, default, default)

    fake = [
        dev(0, "Microphone (Realtek)", "MME"),
        dev(1, "Microphone (Realtek)", "Windows WASAPI", default=True),
        dev(2, "Headset Microphone (USB)", "Windows WASAPI"),
    ]
    monkeypatch.setattr(devicelist, "list_devices", lambda: fake)
    assert devicelist.resolve_device("realtek", "input").index == 1
    assert devicelist.resolve_device(None, "input").index == 1
    assert devicelist.resolve_device("2", "input").index == 2
    with pytest.raises(UserError, match="ambiguous"):
        devicelist.resolve_device("microphone", "input")
