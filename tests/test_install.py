"""The built wheel, installed in a fresh virtual environment, works outside the repository.

The wheel is built from a copy of the sources (not editable) and installed with
``--no-deps``; the runtime dependencies come from this test run's environment through a
``.pth`` line (offline and fast). The demo then runs from a folder outside the repository:
its dialogue scripts must come from the wheel's package data.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests import netguard

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "voicecoach", "scripts", "voices")


def _offline(cmd: list[str]) -> list[str]:
    """``cmd`` with no network at all (its own empty network namespace), where the machine
    allows it; else the Python socket guard runs first (voicecoach commands only)."""
    if netguard.unshare_works():
        return ["unshare", "-rn", *cmd]
    if Path(cmd[0]).name == "voicecoach":
        python = str(Path(cmd[0]).with_name("python"))
        return [python, str(Path(netguard.__file__).resolve()), "-m", "voicecoach", *cmd[1:]]
    return cmd


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    cmd = _offline(cmd)
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        p = REPO / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(p, src / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    # A home of its own: no settings, scripts or voices of the user's leak in.
    env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "home" / ".config"))
    env.update(XDG_DATA_HOME=str(root / "home" / "data"))
    env["VOICECOACH_CACHE"] = os.environ.get(
        "VOICECOACH_CACHE", str(Path.home() / ".cache" / "voicecoach")
    )  # the prepared models, as setup.sh left them
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(root / "dist"), str(src)],
         root, env, 600)  # fmt: skip
    wheel = next((root / "dist").glob("voicecoach-*.whl"))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root, env, 120)
    py = venv / "bin" / "python"
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   root, env, 60).strip()  # fmt: skip
    shared = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "shared-deps.pth").write_text("\n".join(shared) + "\n")
    _run([*pip, "--python", str(py), "install", "--no-deps", str(wheel)], root, env, 300)
    outside = root / "elsewhere"
    outside.mkdir()
    return venv / "bin" / "voicecoach", env, outside


@pytest.mark.slow
def test_wheel_carries_scripts_and_voices(installed):
    exe, env, outside = installed
    out = _run([str(exe), "scripts", "list"], outside, env, 120)
    rows = [line.split() for line in out.splitlines()]
    assert {r[0] for r in rows} >= {"session", "pause", "imago", "appreciation", "timeout"}
    for _, origin, path in rows:
        assert origin == "shipped" and "site-packages/voicecoach/share/scripts" in path, path
    code = "import voicecoach.shipped as s; print(s.shipped_dir('voices'))"
    voices = _run([str(exe.parent / "python"), "-c", code], outside, env, 60).strip()
    assert voices.endswith("voicecoach/share/voices") and (Path(voices) / "README.md").is_file()


@pytest.mark.slow
@pytest.mark.models
def test_demo_and_report_from_the_installed_wheel(installed):
    exe, env, outside = installed
    # A short session (the pause alone) keeps this test around a minute.
    out = _run(
        [str(exe), "demo", "--out", "D", "--script", "pause", "--model", "tiny.en"],
        outside, env, 900,
    )  # fmt: skip
    demo = outside / "D"
    assert "Report: " in out and (demo / "report.html").is_file()
    assert "step: pause.settle" in out  # the plain live view: stdout is a pipe here
    (demo / "report.html").unlink()
    page = _run([str(exe), "report", "D"], outside, env, 300).strip()
    assert page == str(demo / "report.html")
    html = (demo / "report.html").read_text()
    assert "Let&#x27;s take a breath together." in html or "take a breath" in html
    assert (demo / "report.png").stat().st_size > 10_000
