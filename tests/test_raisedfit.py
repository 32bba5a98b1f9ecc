"""Leave-one-actor-out choice of the raised-voice weights, on generated cue tracks."""

from __future__ import annotations

import numpy as np

from voicecoach.lab import raisedfit
from voicecoach.perception.raised import RaisedConfig
from voicecoach.perception.speakers import Baseline

BASE = Baseline(level_db=-30.0, pitch_st=0.0, tilt_db=-12.0, pitch_range_st=4.0, voiced_s=8.0)


def _item(kind: str, pitch: float, tilt: float, h1h2: float, n: int = 100, **kw) -> raisedfit.Item:
    rng = np.random.default_rng(len(kind) + n)
    noise = rng.normal(0, 0.3, n)
    return raisedfit.Item(
        kind,
        kw.pop("conversation", False),
        np.ones(n, bool),
        np.full(n, -30.0),
        pitch + noise,
        BASE.tilt_db + tilt + noise,
        BASE.h1h2_db - h1h2 + noise,
        **kw,
    )


def _actor(strong_tilt: float) -> tuple[Baseline, tuple[raisedfit.Item, ...]]:
    """Anger flattens the tilt (``strong_tilt`` dB) with little pitch; excitement raises
    pitch a lot with the tilt unchanged; calm is the baseline."""
    calm_then_strong = _item("calm_then_strong", 0.0, 0.0, 0.0, n=300, conversation=True)
    calm_then_strong.tilt_db[200:] += strong_tilt
    items = (
        [_item("heated_strong", 1.0, strong_tilt, 2.0) for _ in range(4)]
        + [_item("other", 7.0, 0.5, 0.0) for _ in range(10)]
        + [_item("calm", 0.0, 0.0, 0.0) for _ in range(5)]
        + [
            _item("calm_only", 0.0, 0.0, 0.0, n=300, conversation=True),
            raisedfit.Item(**{**calm_then_strong.__dict__, "spans": ((6.0, 9.0),)}),
        ]
    )
    return BASE, tuple(items)


def test_the_fit_weighs_the_cue_that_tells_anger_from_excitement_for_every_actor() -> None:
    data = [{f"a{k}": _actor(t) for k, t in enumerate((8.0, 10.0, 12.0))}]
    cfg, info = raisedfit.fit(data, ["a0", "a1", "a2"], RaisedConfig())
    assert info["holds"]
    assert cfg.w_tilt > cfg.w_pitch  # pitch would flag the excited clips
    for actor in ("a0", "a1", "a2"):
        s = raisedfit.score(cfg, *data[0][actor])
        assert s["strong"] == 1.0 and s["heated"] == 1.0
        assert s["other"] <= raisedfit.MAX_OTHER and s["calm"] == 0.0
        assert s["false_alarms"] == 0


def test_the_replay_alarms_once_per_episode_inside_the_heated_span() -> None:
    base, items = _actor(10.0)
    conv = next(it for it in items if it.kind == "calm_then_strong")
    times = raisedfit._alarm_times(RaisedConfig(), base, conv)
    assert len(times) == 1 and 6.0 <= times[0] <= 9.0  # once, within the span
    calm = next(it for it in items if it.kind == "calm_only")
    assert raisedfit._alarm_times(RaisedConfig(), base, calm) == []
