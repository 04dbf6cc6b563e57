"""Stop (stay-point) detection on vehicle GPS tracks — the sliding method of Li et al. (2008).

Per vehicle, fixes in time order. A *run* starts at an anchor fix and takes every following
fix that lies within `dist_threshold_m` of the anchor; the first fix beyond it (a *break*)
starts the next run. A run lasting at least `time_threshold_min` is a stop.

Semantics, and where they follow trackintel's `generate_staypoints(method='sliding')`:

- distance break at fix i: the stop covers fixes anchor..i-1 (their mean lon/lat, their
  count) and `finished_at` is the time of fix i — the vehicle was still within the radius
  until it was seen outside; the duration test is `t[i] - t[anchor] >= time_threshold`.
  (as trackintel)
- the last run of a vehicle is a stop when `t[last] - t[anchor] >= time_threshold`; it
  ends at the last fix and includes it (trackintel's `include_last=True`).
- temporal gaps (`t[i] - t[i-1] > gap_threshold_min`): a JT/T 808 terminal stops reporting,
  or reports rarely, when the ignition is off, so a truck parked for the night shows up as
  a gap whose two ends are at the same place. Here (`gap_mode="stop"`, the default) a gap
  whose far end is within `dist_threshold_m` of the run's anchor does not break the run:
  the vehicle was parked and the gap counts as time stopped (the stop is flagged
  `engine_off`). A gap whose far end is elsewhere breaks the run; the run up to the last
  fix before the gap is a stop if it lasted `time_threshold` (finished at that fix).
  trackintel instead drops every run that a gap interrupts, near or far
  (`gap_mode="trackintel"` reproduces that, for comparison; bench/bench_stops.py).

Implementation (no Python loop over fixes): all vehicles are laid end to end in one array;
a vehicle's first fix always starts a run. For every fix s the index of the fix that would
break a run anchored at s, `nxt[s]`, is searched for all s at once in a few vectorised
rounds. The path travelled bounds the distance: when a fix at distance d from s is still
inside the radius, no fix reached by a further path shorter than (radius − d) can be
outside it, so each round jumps there (a searchsorted on the cumulative path length); a
moving vehicle resolves in the first round, a parked one in a few. Anchors still
unresolved after `SCAN_ROUNDS` (deep inside long stops) are left open. The chain of actual
anchors 0 → nxt[0] → … is then followed by pointer doubling; only where it reaches an open
anchor — about once per long stop — is that anchor's break searched for directly (numpy
over its following fixes, in growing chunks). Cost: O(n·rounds + n·log n) array work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_R = 6_371_000.0
STOP_COLUMNS = ["plate", "started_at", "finished_at", "duration_min", "lon", "lat", "n_points", "engine_off"]
SCAN_ROUNDS = 8         # vectorised search rounds for every anchor before a direct search


def _far(lon1, lat1, coslat1, lon2, lat2, dist_m):
    """Haversine distance >= dist_m, decided on a flat-earth distance (no trigonometry) except
    within 0.1 % of the threshold, where the haversine decides."""
    dx = (lon2 - lon1) * coslat1
    dy = lat2 - lat1
    q = (dx * dx + dy * dy) * (EARTH_R * EARTH_R / (dist_m * dist_m))
    far = q >= 1.0
    near = np.flatnonzero(np.abs(q - 1.0) < 2e-3)
    if len(near):
        c1 = coslat1 if np.ndim(coslat1) == 0 else coslat1[near]
        l1 = lon1 if np.ndim(lon1) == 0 else lon1[near]
        a1 = lat1 if np.ndim(lat1) == 0 else lat1[near]
        far[near] = _hav(l1, a1, c1, lon2[near], lat2[near], np.cos(lat2[near])) >= dist_m
    return far


def _hav(lon1, lat1, coslat1, lon2, lat2, coslat2):
    """Haversine metres; inputs in radians, cos(lat) precomputed."""
    s1 = np.sin((lat2 - lat1) * 0.5)
    s2 = np.sin((lon2 - lon1) * 0.5)
    a = s1 * s1 + coslat1 * coslat2 * s2 * s2
    return 2.0 * EARTH_R * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _sliding(t, lon, lat, vend, gap_ns, dist_m, gap_breaks):
    """Anchors of the runs, and for each run its break index. Arrays over all vehicles.

    t: int64 ns, lon/lat radians; vend[s]: index of the first fix of the next vehicle (or n).
    gap_breaks: a gap between i-1 and i breaks a run at i whatever the distance (trackintel)."""
    n = len(t)
    coslat = np.cos(lat)
    gap = np.zeros(n + 1, dtype=bool)
    gap[1:n] = np.diff(t) > gap_ns

    # 1. nxt[s], the break of a run anchored at s, for every s, in a few vectorised rounds.
    # Flat-earth step lengths (cheap; within 1e-5 of the haversine at these scales). The
    # path travelled bounds the distance: if a fix at distance d from the anchor is within
    # dist_m, every later fix reached by a path shorter than dist_m - d is within dist_m too,
    # so the search for the break jumps there (a 0.2 % margin covers the approximation).
    step = np.zeros(n, dtype=np.float64)
    if n > 1:
        dx = np.diff(lon) * coslat[:-1]
        dy = np.diff(lat)
        step[1:] = np.sqrt(dx * dx + dy * dy) * EARTH_R
    path = np.cumsum(step)
    idx = np.arange(n, dtype=np.int64)
    budget = 0.998 * dist_m
    limit = vend.copy()                 # a run ends at the vehicle's end at the latest …
    if gap_breaks:                      # … or, with trackintel's gaps, at the next gap
        gi = np.where(gap[:n], idx, n)
        np.minimum(limit, np.minimum.accumulate(np.r_[gi[1:], n][::-1])[::-1], out=limit)
    # first candidate: where the path from s first reaches the (margined) threshold
    cur = np.searchsorted(path, path + budget, side="left").astype(np.int64)
    np.maximum(cur, idx + 1, out=cur)
    np.minimum(cur, limit, out=cur)
    nxt = np.full(n + 1, -1, dtype=np.int64)
    nxt[n] = n
    # search state, compacted to the anchors still unresolved
    todo, lim = idx, limit
    slon, slat, scos = lon, lat, coslat
    r2 = (EARTH_R * EARTH_R) / (dist_m * dist_m)
    for _ in range(SCAN_ROUNDS):
        if not len(todo):
            break
        ic = np.minimum(cur, n - 1)
        dx = (lon[ic] - slon) * scos
        dy = lat[ic] - slat
        q = (dx * dx + dy * dy) * r2            # (distance / dist_m)²
        far = q >= 1.0
        near = np.flatnonzero(np.abs(q - 1.0) < 2e-3)
        if len(near):                            # at the threshold the haversine decides
            far[near] = _hav(slon[near], slat[near], scos[near], lon[ic[near]], lat[ic[near]],
                             np.cos(lat[ic[near]])) >= dist_m
        far |= cur >= lim
        hit = np.flatnonzero(far)
        nxt[todo[hit]] = cur[hit]
        keep = np.flatnonzero(~far)
        todo, lim, slon, slat, scos = todo[keep], lim[keep], slon[keep], slat[keep], scos[keep]
        c, ick = cur[keep], ic[keep]
        room = budget - np.sqrt(q[keep]) * dist_m
        cur = np.searchsorted(path, path[ick] + np.maximum(room, 0.0), side="left").astype(np.int64)
        np.maximum(cur, c + 1, out=cur)
        np.minimum(cur, lim, out=cur)
    first_unresolved = np.zeros(n, dtype=np.int64)
    first_unresolved[todo] = cur        # where a direct search of these anchors starts

    def resolve(u: int) -> int:
        """Break index of a run anchored at u, searched directly (long stops only)."""
        end = int(limit[u])
        j, step = int(first_unresolved[u]), 256
        while j < end:
            hi = min(end, j + step)
            far = _far(lon[u], lat[u], coslat[u], lon[j:hi], lat[j:hi], dist_m)
            hit = np.flatnonzero(far)
            if len(hit):
                return j + int(hit[0])
            j, step = hi, step * 4
        return end

    # 2. pointer doubling over the resolved part: unresolved anchors are fixed points (stoppers)
    nodes = np.arange(n + 1, dtype=np.int64)
    base = np.where(nxt >= 0, nxt, nodes)
    steps = max(1, int(np.ceil(np.log2(n + 2))))
    term = base.copy()
    for _ in range(steps):
        nt = term[term]
        if np.array_equal(nt, term):
            break
        term = nt
    # follow the chain: from an anchor, jump to the stopper it reaches, resolve that stopper
    seeds = [0]
    a = 0
    while True:                     # one iteration per long stop on the chain
        u = int(term[a])
        if u >= n:
            break
        b = resolve(u)
        nxt[u] = b
        seeds.append(b)
        a = b
    # 3. mark the chain: every fix reachable from a seed through resolved links
    mark = np.zeros(n + 1, dtype=bool)
    mark[np.asarray(seeds, dtype=np.int64)] = True
    jump = base
    for _ in range(steps):
        idx = np.flatnonzero(mark)
        before = len(idx)
        mark[jump[idx]] = True
        if int(mark.sum()) == before:
            break
        jump = jump[jump]
    anchors = np.flatnonzero(mark[:n])
    brk = nxt[anchors]
    return anchors, brk, gap


def detect_stops(df: pd.DataFrame, dist_threshold_m: float = 100.0, time_threshold_min: float = 5.0,
                 gap_threshold_min: float = 15.0, *, gap_mode: str = "stop",
                 vehicle_col: str = "plate", time_col: str = "ts",
                 lon_col: str = "lon", lat_col: str = "lat") -> pd.DataFrame:
    """Stops of every vehicle in `df` (columns plate, ts, lon, lat; WGS-84; any order).

    Returns one row per stop: plate, started_at, finished_at, duration_min, lon, lat (mean of
    the stop's fixes, WGS-84), n_points, engine_off (the stop spans a reporting gap).
    gap_mode: "stop" (a gap at the same place is a parked stop; default) or "trackintel"."""
    if gap_mode not in ("stop", "trackintel"):
        raise ValueError(f"gap_mode must be 'stop' or 'trackintel', not {gap_mode!r}")
    d = df[[vehicle_col, time_col, lon_col, lat_col]].dropna()
    if not len(d):
        return pd.DataFrame(columns=STOP_COLUMNS)
    veh_codes, veh_names = pd.factorize(d[vehicle_col], sort=False)
    t = pd.to_datetime(d[time_col]).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    lon_deg = d[lon_col].to_numpy(dtype=np.float64)
    lat_deg = d[lat_col].to_numpy(dtype=np.float64)
    # by vehicle, then time (stable); skipped when the rows come that way (read_tracks)
    dv = np.diff(veh_codes)
    if not (np.all(dv >= 0) and np.all((np.diff(t) >= 0) | (dv != 0))):
        order = np.lexsort((t, veh_codes))
        veh_codes, t, lon_deg, lat_deg = veh_codes[order], t[order], lon_deg[order], lat_deg[order]
    veh = veh_codes
    n = len(t)
    starts = np.flatnonzero(np.r_[True, veh[1:] != veh[:-1]])
    ends = np.r_[starts[1:], n]
    vend = np.repeat(ends, ends - starts).astype(np.int64)

    gap_ns = int(round(gap_threshold_min * 60e9))
    anchors, brk, gap = _sliding(t, np.radians(lon_deg), np.radians(lat_deg), vend, gap_ns,
                                 float(dist_threshold_m), gap_breaks=(gap_mode == "trackintel"))
    # run = anchors[j] .. brk[j]-1; how it ended decides its end time and whether it counts
    last = brk - 1
    end_of_vehicle = brk >= vend[anchors]
    gap_break = ~end_of_vehicle & gap[np.minimum(brk, n)]
    dist_break = ~end_of_vehicle & ~gap_break
    fin_idx = np.where(dist_break, np.minimum(brk, n - 1), last)
    dur_ns = t[fin_idx] - t[anchors]
    keep = dur_ns >= int(round(time_threshold_min * 60e9))
    if gap_mode == "trackintel":
        keep &= ~gap_break              # trackintel drops a run interrupted by a gap
    a, lst, fi = anchors[keep], last[keep], fin_idx[keep]
    if not len(a):
        return pd.DataFrame(columns=STOP_COLUMNS)
    cl = np.r_[0.0, np.cumsum(lon_deg)]
    ca = np.r_[0.0, np.cumsum(lat_deg)]
    npts = lst - a + 1
    # engine-off: a reporting gap inside the stop
    cg = np.r_[0, np.cumsum(gap[:n].astype(np.int64))]
    engine_off = (cg[lst + 1] - cg[a + 1]) > 0
    out = pd.DataFrame({
        "plate": np.asarray(veh_names)[veh[a]],
        "started_at": pd.to_datetime(t[a]),
        "finished_at": pd.to_datetime(t[fi]),
        "duration_min": dur_ns[keep] / 60e9,
        "lon": (cl[lst + 1] - cl[a]) / npts,
        "lat": (ca[lst + 1] - ca[a]) / npts,
        "n_points": npts.astype(np.int64),
        "engine_off": engine_off,
    })
    return out.sort_values(["plate", "started_at"], kind="stable").reset_index(drop=True)


def read_tracks(con, as_of=None, days: int | None = None) -> pd.DataFrame:
    """Fixes of stg_tracks (plate, ts, lon, lat), optionally those of the `days` before `as_of`."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'stg_tracks'").fetchall()[0][0]
    if not exists:
        return pd.DataFrame(columns=["plate", "ts", "lon", "lat"])
    where, args = ["plate IS NOT NULL", "ts IS NOT NULL", "lon IS NOT NULL", "lat IS NOT NULL"], []
    if as_of is not None:
        where.append("ts < ?::DATE + INTERVAL 1 DAY")
        args.append(as_of)
        if days is not None:
            where.append("ts >= ?::DATE - ?::INTEGER")
            args += [as_of, int(days)]
    return con.execute(f"SELECT DISTINCT plate, ts, lon, lat FROM stg_tracks WHERE {' AND '.join(where)} "
                       "ORDER BY plate, ts, lon, lat", args).df()


def stops_from_db(con, dist_threshold_m: float, time_threshold_min: float, gap_threshold_min: float,
                  as_of=None, days: int | None = None) -> pd.DataFrame:
    """Stops of every vehicle in stg_tracks (see detect_stops)."""
    return detect_stops(read_tracks(con, as_of, days), dist_threshold_m, time_threshold_min, gap_threshold_min)


def merge_stops(stops: pd.DataFrame, dist_threshold_m: float, max_gap_min: float) -> pd.DataFrame:
    """Merge consecutive stops of a vehicle that are at the same place (centroids within
    `dist_threshold_m`) and follow each other within `max_gap_min` minutes.

    The sliding method anchors a run at its first fix; when that fix was taken while the
    vehicle was still rolling in, a later fix at the parking spot can fall outside the radius
    and split one stop in two. Merging them back gives one stop per visit."""
    if len(stops) < 2:
        return stops
    s = stops.sort_values(["plate", "started_at"], kind="stable").reset_index(drop=True)
    lon, lat = np.radians(s["lon"].to_numpy()), np.radians(s["lat"].to_numpy())
    same = np.r_[False, s["plate"].to_numpy()[1:] == s["plate"].to_numpy()[:-1]]
    d = np.r_[np.inf, _hav(lon[:-1], lat[:-1], np.cos(lat[:-1]), lon[1:], lat[1:], np.cos(lat[1:]))]
    gap_min = np.r_[np.inf, (s["started_at"].to_numpy()[1:] - s["finished_at"].to_numpy()[:-1])
                    / np.timedelta64(1, "m")]
    group = np.cumsum(~(same & (d < dist_threshold_m) & (gap_min <= max_gap_min)))
    s["_g"] = group
    s["_wl"] = s["lon"] * s["n_points"]
    s["_wa"] = s["lat"] * s["n_points"]
    g = s.groupby("_g", sort=True).agg(plate=("plate", "first"), started_at=("started_at", "min"),
                                       finished_at=("finished_at", "max"), _wl=("_wl", "sum"),
                                       _wa=("_wa", "sum"), n_points=("n_points", "sum"),
                                       engine_off=("engine_off", "any"))
    g["duration_min"] = (g["finished_at"] - g["started_at"]) / pd.Timedelta(minutes=1)
    g["lon"] = g["_wl"] / g["n_points"]
    g["lat"] = g["_wa"] / g["n_points"]
    return g[STOP_COLUMNS].reset_index(drop=True)


def night_minutes(started_at: pd.Series, finished_at: pd.Series, night_hours: list) -> np.ndarray:
    """Minutes of each [started_at, finished_at) interval that fall in the night hours
    (local [start, end) hour pairs, e.g. [[22, 24], [0, 6]])."""
    s = pd.to_datetime(started_at).to_numpy(dtype="datetime64[ns]")
    f = pd.to_datetime(finished_at).to_numpy(dtype="datetime64[ns]")
    out = np.zeros(len(s))
    if not len(s):
        return out
    day0 = s.astype("datetime64[D]")
    ndays = int(((f.astype("datetime64[D]") - day0) / np.timedelta64(1, "D")).max()) + 1
    for k in range(ndays):                      # days spanned (a stop rarely spans more than two)
        day = day0 + np.timedelta64(k, "D")
        for a, b in night_hours:
            lo = np.maximum(s, day + np.timedelta64(int(a * 60), "m"))
            hi = np.minimum(f, day + np.timedelta64(int(b * 60), "m"))
            out += np.maximum((hi - lo) / np.timedelta64(1, "m"), 0.0)
    return out
