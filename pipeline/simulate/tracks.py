"""Hazmat-truck GPS tracks (WGS-84): a fix every 30 s while the engine is on.

One truck at a time (a bounded block): its trips of the two-week window are laid out in
time order, each trip a list of legs (driving, sampled along a Manhattan path) and dwells
(zero speed).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.simulate.geo import M_PER_DEG_LAT, m_per_deg_lon
from pipeline.simulate.sources import TRACK_START
from pipeline.simulate.world import N_DAYS, day

FIX_S = 30
YARD = (118.548, 24.812)                               # logistics yard outside Lingyuan
LOAD_POINTS = ((118.668, 24.902), (118.515, 24.778), (118.702, 24.806))
EPOCH = dt.datetime(2021, 1, 1)
MX = m_per_deg_lon(24.84)


def _drive(t0: float, pts: list, rng, speed_kmh: float):
    """Fixes along the Manhattan path through pts starting at t0; returns arrays and t_end."""
    way = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:]):
        if rng.random() < 0.5:
            way.append((b[0], a[1]))
        else:
            way.append((a[0], b[1]))
        way.append(b)
    way = np.array(way)
    seg = np.hypot(np.diff(way[:, 0]) * MX, np.diff(way[:, 1]) * M_PER_DEG_LAT)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    v = speed_kmh / 3.6
    dur = total / v
    t = np.arange(0.0, dur, FIX_S)
    # one short stop (traffic light, junction) on longer legs
    pos = t * v
    spd = np.full(len(t), speed_kmh)
    if total > 1500 and rng.random() < 0.5 and len(t) > 6:
        k = int(rng.integers(2, len(t) - 3))
        hold = int(rng.integers(2, 5))
        pos = np.concatenate([pos[:k], np.full(hold, pos[k]), pos[k:]])
        spd = np.concatenate([spd[:k], np.zeros(hold), spd[k:]])
        t = np.arange(len(pos)) * float(FIX_S)
    pos = np.minimum(pos, total)
    lon = np.interp(pos, cum, way[:, 0])
    lat = np.interp(pos, cum, way[:, 1])
    si = np.clip(np.searchsorted(cum, pos, side="right") - 1, 0, len(seg) - 1)
    dx = np.diff(way[:, 0])[si] * MX
    dy = np.diff(way[:, 1])[si] * M_PER_DEG_LAT
    head = (np.degrees(np.arctan2(dx, dy)) + 360) % 360
    spd = np.where(spd > 0, spd * rng.uniform(0.8, 1.15, len(spd)), 0.0)
    return t0 + t, lon, lat, spd, head, t0 + (t[-1] if len(t) else 0) + FIX_S


def _dwell(t0: float, pt, minutes: float, head: float):
    n = max(int(minutes * 60 / FIX_S), 1)
    t = t0 + np.arange(n) * FIX_S
    return t, np.full(n, pt[0]), np.full(n, pt[1]), np.zeros(n), np.full(n, head), t0 + n * FIX_S


def build_tracks(rng: np.random.Generator, fleet: pd.DataFrame, waybills: pd.DataFrame,
                 places: pd.DataFrame, night_stops: list):
    """Returns (tracks DataFrame: plate, t (s since 2021-01-01), lon, lat, speed, heading; stops truth)."""
    xy = dict(zip(places["place_id"], zip(places["lon"], places["lat"])))
    tracked = fleet.loc[fleet["tracked"], "plate"].tolist()
    t_first = (day(TRACK_START) - EPOCH.date()).days * 86400
    trips: dict[str, list] = {p: [] for p in tracked}
    wb = waybills[waybills["plate_id"].isin(tracked) & (waybills["depart_at"] >= pd.Timestamp(day(TRACK_START)))]
    for plate, g in wb.groupby("plate_id", sort=True):
        g = g.sort_values("depart_at")
        for d, gd in g.groupby(g["depart_at"].dt.date, sort=True):
            t_dep = (gd["depart_at"].iloc[0] - pd.Timestamp(EPOCH)).total_seconds()
            stops = [(pid, "delivery") for pid in gd["place_id"]]
            trips[plate].append((t_dep - 3600, stops))
    # night stops at planted sites (no e-waybill), spread over tracked trucks
    for pid, n in night_stops:
        nights = rng.choice(np.arange(TRACK_START, N_DAYS - 1), size=min(n, 13), replace=False)
        plate = tracked[int(rng.integers(len(tracked)))]
        for d in sorted(nights):
            t0 = (int(d) - 0) * 86400 + int(rng.integers(21 * 3600, 25 * 3600))
            trips[plate].append((t0, [(pid, "night")]))
    # empty-run days: transit through the subdistrict without stopping at any place
    for plate in tracked:
        for d in range(TRACK_START, N_DAYS):
            if rng.random() < 0.3:
                trips[plate].append((d * 86400 + int(rng.integers(7 * 3600, 15 * 3600)), []))
    parts, stops_truth = [], []
    for pi, plate in enumerate(tracked):
        t_free = t_first
        for t0, stops in sorted(trips[plate], key=lambda x: (x[0], len(x[1]))):
            t = max(float(t0), t_free + 600)
            if t >= N_DAYS * 86400:
                continue
            segs = []
            cur = YARD
            if stops and stops[0][1] == "delivery":
                lp = LOAD_POINTS[int(rng.integers(len(LOAD_POINTS)))]
                r = _drive(t, [cur, lp], rng, 60)
                segs.append(r)
                r = _dwell(r[-1], lp, float(rng.uniform(25, 45)), float(r[4][-1]) if len(r[4]) else 0.0)
                segs.append(r)
                t, cur = r[-1], lp
            elif not stops:
                # drive through Lingyuan between two outside points
                a, bpt = LOAD_POINTS[0], LOAD_POINTS[1]
                r = _drive(t, [cur, a, (118.585, 24.84), bpt, YARD], rng, 50)
                segs.append(r)
                t = r[-1]
            for pid, kind in stops:
                pt = xy[pid]
                r = _drive(t, [cur, pt], rng, 40 if kind == "delivery" else 45)
                segs.append(r)
                mins = float(rng.uniform(35, 90) if kind == "delivery" else rng.uniform(30, 150))
                r2 = _dwell(r[-1], pt, mins, float(r[4][-1]) if len(r[4]) else 0.0)
                segs.append(r2)
                stops_truth.append({"plate": plate, "place_id": pid, "kind": kind,
                                    "arrive": r[-1], "depart": r2[-1]})
                t, cur = r2[-1], pt
            if stops:
                r = _drive(t, [cur, YARD], rng, 50)
                segs.append(r)
                t = r[-1]
            t_free = t
            ts = np.concatenate([s[0] for s in segs])
            keep = ts < N_DAYS * 86400
            parts.append((np.full(int(keep.sum()), pi, dtype=np.int32), ts[keep].astype(np.int64),
                          *(np.concatenate([s[j] for s in segs])[keep] for j in (1, 2, 3, 4))))
    cols = [np.concatenate([p[j] for p in parts]) for j in range(6)]
    tr = pd.DataFrame({"plate": pd.Categorical.from_codes(cols[0], categories=tracked), "t": cols[1],
                       "lon": cols[2], "lat": cols[3], "speed": cols[4], "heading": cols[5]})
    n = len(tr)
    tr["lon"] = np.round(tr["lon"] + rng.normal(0, 6, n) / MX, 6)
    tr["lat"] = np.round(tr["lat"] + rng.normal(0, 6, n) / M_PER_DEG_LAT, 6)
    tr["speed"] = np.round(tr["speed"], 1)
    tr["heading"] = np.round(tr["heading"]).astype(np.int64)
    st = pd.DataFrame(stops_truth)
    if len(st):
        for c in ("arrive", "depart"):
            st[c] = pd.Timestamp(EPOCH) + pd.to_timedelta(st[c], unit="s")
    return tr, st
