"""Daily power readings with the time-of-use split, vectorised over (accounts × days)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.simulate.world import CNY, N_DAYS, P_EV, P_HOME, P_SHOP, START

# weekly factor by pattern code, Monday … Sunday
WEEK = np.array([
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 0.25],
    [1, 1, 1, 1, 1, 0.4, 0.15],
    [0.95, 0.95, 0.95, 0.95, 1.0, 1.15, 1.15],
])
FIRST_WEEKDAY = START.weekday()          # 2021-01-01 is a Friday


def readings_block(acc: pd.DataFrame, rng: np.random.Generator):
    """Readings for a block of accounts: dict of arrays (row = account, day) for kept rows.

    Returns acc_idx (position in `acc`), day_idx, peak, flat, valley, kwh.
    """
    n = len(acc)
    d = np.arange(N_DAYS)[None, :]
    wd = (FIRST_WEEKDAY + np.arange(N_DAYS)) % 7
    g = lambda c: acc[c].to_numpy()  # noqa: E731
    start = g("start")[:, None].astype(np.int64)
    ramp = g("ramp")[:, None].astype(np.float64)
    after = d >= start
    if "duty_period" in acc.columns:
        # varied worlds: an intermittent workshop runs `duty_on` days of every `duty_period`
        per = g("duty_period")[:, None].astype(np.int64)
        on = (per == 0) | (((d + g("duty_phase")[:, None].astype(np.int64)) % np.maximum(per, 1))
                           < g("duty_on")[:, None].astype(np.int64))
        after = after & on
    frac = np.where(ramp > 0, np.clip((d - start + 1) / np.maximum(ramp, 1), 0, 1), after.astype(float))
    frac = np.where(after, frac, 0.0)
    lvl0 = g("lvl0")[:, None].astype(float)
    lvl1 = g("lvl1")[:, None].astype(float)
    lvl = lvl0 + (lvl1 - lvl0) * frac
    wk = np.where(after, g("wk1")[:, None], g("wk0")[:, None]).astype(np.int64)
    wkf = WEEK[wk, wd[None, :]]
    prof = g("prof")[:, None]
    cny = g("cny")[:, None].astype(bool)
    in_cny = (d >= CNY[0]) & (d <= CNY[1])
    cnyf = np.where(cny & in_cny, 0.12, np.where((prof == P_HOME) & in_cny, 1.2, 1.0))
    summer = np.clip((d - 120) / 60.0, 0, 1)
    season = 1 + np.where(np.isin(prof, [P_HOME, P_EV, P_SHOP]), 0.35, 0.08) * summer
    noise = rng.lognormal(0.0, g("noise")[:, None].astype(float), size=(n, N_DAYS))
    kwh = lvl * wkf * cnyf * season * noise
    v = np.where(after, g("v1")[:, None], g("v0")[:, None]).astype(float)
    p = np.where(after, g("p1")[:, None], g("p0")[:, None]).astype(float)
    valley = kwh * v
    peak = kwh * p
    flat = kwh - valley - peak
    ev = g("ev")[:, None].astype(bool) & after & (rng.random((n, N_DAYS)) < 0.45)
    valley = valley + np.where(ev, rng.uniform(12, 35, (n, N_DAYS)), 0.0)
    zero = g("zero")[:, None].astype(bool) | (rng.random((n, N_DAYS)) < 0.002)
    peak, flat, valley = (np.where(zero, 0.0, np.round(x, 2)) for x in (peak, flat, valley))
    flat = np.maximum(flat, 0.0)
    total = np.round(peak + flat + valley, 2)
    keep = (d > g("open_idx")[:, None]) & (d < g("close_idx")[:, None]) & (rng.random((n, N_DAYS)) >= 0.003)
    ai, di = np.nonzero(keep)
    return ai, di, peak[keep], flat[keep], valley[keep], total[keep]
