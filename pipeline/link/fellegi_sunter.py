"""Fellegi–Sunter match probabilities with m, u and the prior estimated by EM.

The model sees only comparison vectors of this week's candidate pairs — no truth — as in
a real subdistrict. Levels are small integers, −1 meaning "no information" (the
comparison contributes nothing). EM runs over the distinct patterns with their counts,
so its cost does not grow with the number of pairs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

_EPS = 1e-6


@dataclass
class FSModel:
    columns: list[str]
    levels: dict[str, int]                 # number of levels per comparison (0..L-1)
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    lam: float
    iterations: int

    def log2_bayes_factor(self, patterns: pd.DataFrame) -> np.ndarray:
        w = np.zeros(len(patterns))
        for c in self.columns:
            g = patterns[c].to_numpy()
            ok = g >= 0
            w[ok] += np.log2(self.m[c][g[ok]] / self.u[c][g[ok]])
        return w

    def probability(self, patterns: pd.DataFrame) -> np.ndarray:
        w = self.log2_bayes_factor(patterns) + np.log2(self.lam / (1 - self.lam))
        return 1.0 / (1.0 + np.power(2.0, -w))

    def table(self) -> pd.DataFrame:
        """m, u and the weight of every level, for the analyst to look at."""
        rows = []
        for c in self.columns:
            for lv in range(self.levels[c]):
                rows.append({"comparison": c, "level": lv, "m": self.m[c][lv], "u": self.u[c][lv],
                             "log2_bf": float(np.log2(self.m[c][lv] / self.u[c][lv]))})
        return pd.DataFrame(rows)


def _weights(pairs: pd.DataFrame) -> np.ndarray:
    """A pair table's row weights: its `n` column when it holds distinct patterns with counts."""
    return pairs["n"].to_numpy(dtype=float) if "n" in pairs else np.ones(len(pairs))


def chance_agreement(random_pairs: pd.DataFrame, levels: dict[str, int]) -> dict[str, np.ndarray]:
    """u as Splink estimates it: how often each level occurs between random record pairs."""
    u = {}
    w = _weights(random_pairs)
    for c, L in levels.items():
        g = random_pairs[c].to_numpy()
        counts = np.array([w[g == lv].sum() for lv in range(L)], dtype=float) + 1.0
        u[c] = counts / counts.sum()
    return u


def _isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted pool-adjacent-violators: the closest non-decreasing sequence to y."""
    vals, wts, sizes = [], [], []
    for yi, wi in zip(y, w):
        vals.append(yi); wts.append(wi); sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            v2, w2, s2 = vals.pop(), wts.pop(), sizes.pop()
            v1, w1, s1 = vals.pop(), wts.pop(), sizes.pop()
            wt = w1 + w2
            vals.append((v1 * w1 + v2 * w2) / wt if wt else (v1 + v2) / 2); wts.append(wt); sizes.append(s1 + s2)
    return np.repeat(vals, sizes)


def fit_em(pairs: pd.DataFrame, levels: dict[str, int], u_start: dict[str, np.ndarray],
           start_lambda: float = 0.3, prior_pairs: float = 100.0,
           max_iter: int = 60, tol: float = 1e-6, monotone: tuple[str, ...] = ()) -> FSModel:
    """Estimate m, u, λ from the comparison vectors of candidate pairs.

    EM is maximum a posteriori with a weak Dirichlet prior worth `prior_pairs` pairs: for
    m, that agreement is likelier among matches (weights rising with the level); for u,
    the chance agreement measured on random pairs. With a subdistrict's hundred thousand
    candidate pairs the data decide; with a handful of records the prior keeps the
    estimates sane instead of degenerate.
    """
    columns = list(levels)
    pat = (pairs.assign(n=_weights(pairs)).groupby(columns, dropna=False)["n"].sum().reset_index())
    n = pat["n"].to_numpy(dtype=float)
    m, u, am, au = {}, {}, {}, {}
    for c in columns:
        L = levels[c]
        m0 = np.linspace(1.0, float(L) ** 2, L) if L > 1 else np.ones(1)
        m[c] = m0 / m0.sum()
        u[c] = u_start[c].copy()
        am[c], au[c] = prior_pairs * m[c], prior_pairs * u[c]
    lam = start_lambda
    it = 0
    prev = None
    gs = {c: pat[c].to_numpy() for c in columns}
    for it in range(1, max_iter + 1):
        lm = np.zeros(len(pat))
        lu = np.zeros(len(pat))
        for c in columns:
            ok = gs[c] >= 0
            lm[ok] += np.log(m[c][gs[c][ok]])
            lu[ok] += np.log(u[c][gs[c][ok]])
        a = np.log(lam) + lm
        b = np.log(1 - lam) + lu
        p = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
        wm, wu = n * p, n * (1 - p)
        lam = float(np.clip(wm.sum() / n.sum(), _EPS, 1 - _EPS))
        for c in columns:
            L = levels[c]
            g = gs[c]
            mm = np.array([wm[g == lv].sum() for lv in range(L)]) + am[c] + _EPS
            uu = np.array([wu[g == lv].sum() for lv in range(L)]) + au[c] + _EPS
            m[c], u[c] = mm / mm.sum(), uu / uu.sum()
            if c in monotone:
                # a closer point or a more similar name is never weaker evidence of a match:
                # keep log(m/u) non-decreasing in the level, m re-derived from u
                lr = _isotonic(np.log(m[c] / u[c]), mm + uu)
                m[c] = u[c] * np.exp(lr)
                m[c] = m[c] / m[c].sum()
        if prev is not None and np.max(np.abs(p - prev)) < tol:
            break
        prev = p
    log.debug("Fellegi–Sunter EM: %d patterns, %d pairs, λ=%.3f after %d iterations",
             len(pat), int(n.sum()), lam, it)
    return FSModel(columns, levels, m, u, lam, it)
