"""The soak benchmark's generated script (voicecoach.lab.soak) is a valid script that
monitors for hours and can always end (the benchmark itself is run by hand: it prints)."""

from __future__ import annotations

from voicecoach.dialogue.script import check_script, load_script
from voicecoach.lab.soak import soak_script


def test_the_soak_script_passes_scripts_check(tmp_path):
    path = soak_script(tmp_path / "soak.yaml", repeats=5)
    check_script(path)
    script = load_script(path)
    kinds = [step.kind for step in script.steps.values()]
    assert kinds.count("monitor") == 5 and kinds[-1] == "end"
