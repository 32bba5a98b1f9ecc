"""`voicecoach service install|uninstall`: a systemd user unit that runs `serve`, and the
doctor's satellite check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.cli import main
from voicecoach.service_unit import UNIT_NAME, unit_text


def test_install_writes_a_unit_that_restarts_on_failure(tmp_path: Path, capsys) -> None:
    rc = main(
        [
            "service", "install", "--unit-dir", str(tmp_path),
            "--satellite", "tcp://192.168.1.20:10700", "--partners", "Alex,Sam",
        ]
    )  # fmt: skip
    assert rc == 0
    unit = (tmp_path / UNIT_NAME).read_text()
    assert "Restart=on-failure" in unit and "UMask=0077" in unit
    assert (
        f"ExecStart={sys.executable} -m voicecoach serve --satellite tcp://192.168.1.20:10700"
        in unit
    )
    assert "--partners Alex,Sam" in unit and "WantedBy=default.target" in unit
    out = capsys.readouterr().out
    assert "systemctl --user enable --now voicecoach.service" in out
    assert "loginctl enable-linger" in out  # how to start it at boot


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    path = tmp_path / UNIT_NAME
    path.write_text(unit_text(["--partners", "Alex,Sam"]))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "voicecoach.service" not in done.stderr  # no warning about the unit itself


def test_uninstall_removes_it_and_says_so_when_there_is_none(tmp_path: Path, capsys) -> None:
    assert main(["service", "install", "--unit-dir", str(tmp_path)]) == 0
    assert main(["service", "uninstall", "--unit-dir", str(tmp_path)]) == 0
    assert not (tmp_path / UNIT_NAME).exists()
    assert main(["service", "uninstall", "--unit-dir", str(tmp_path)]) == 0
    assert "No voicecoach unit was installed." in capsys.readouterr().out


def test_a_bad_satellite_address_is_one_sentence(tmp_path: Path, capsys) -> None:
    rc = main(["service", "install", "--unit-dir", str(tmp_path), "--satellite", "host:10700"])
    assert rc == 2 and not (tmp_path / UNIT_NAME).exists()
    assert "tcp://HOST:PORT" in capsys.readouterr().err


@pytest.mark.loopback  # the fake satellite listens on 127.0.0.1
def test_doctor_checks_a_satellite() -> None:
    from tests.fake_satellite import FakeSatellite
    from voicecoach.doctor import check_satellite

    sat = FakeSatellite().start()
    try:
        check = check_satellite(sat.uri)
    finally:
        sat.stop()
    assert check.status == "ok", check
    assert "fake" in check.detail
    gone = check_satellite(sat.uri)  # nothing listens there now
    assert gone.status == "fail" and "cannot reach" in gone.detail
