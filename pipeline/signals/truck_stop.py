"""Signal truck_stop (family transport): hazmat trucks dwelling, undeclared, at a place
that holds no hazmat licence — above all at night and again and again.

1. Stops: `stops.detect_stops` over stg_tracks of the last `window_days` before the run
   date (sliding method: `stop_radius_m`, `min_stop_min`, `gap_min`), visits split by the
   sliding anchor merged back (`stops.merge_stops`). Stops within `radius_m` of a configured
   legitimate place (`legit_places`: name, lon, lat, radius_m — a carrier's registered
   parking yard, a service area) are dropped.
2. Place: each stop is attributed to the *nearest* premises within `radius_m` (haversine on
   WGS-84), among premises whose coordinates are a location — `coord_precision` meter_gps
   or site_inventory; a community centroid is not a location. The nearest is taken among
   all such premises, licensed or not, so a stop at a licensed firm is not blamed on its
   unlicensed neighbour; only then is the stop silenced when that premises
   - holds a hazmat licence not expired on the stop's day (an expired licence is none; a
     licence with no end date counts as valid; the start date does not limit, as in
     waybill_unlicensed), or
   - is a place where trucks legitimately wait, by its name (`legit_words`: 加油站,
     停车场, 物流, 货运, 汽修 …).
3. Declared deliveries are not this signal's evidence (`mark_declared`): a stop within
   `radius_m` of a located premises that one of the truck's e-waybills of that trip (its
   departure day, or the next morning) names as the unloading place is the waybill
   signals' business; so is a stop in the community of a declared consignee that cannot
   be located (its coordinates are a community centroid) — it may be that delivery, and a
   neighbour must not take the blame for it.
4. Strength: each remaining stop counts `night_weight` when at least `min_night_min` of it
   falls in the night hours (campaign time_of_use.night_hours), else `day_weight`;
   strength = sum / `full_points`, capped at 1. Value: number of stops; baseline: 0 (a
   place without a licence should see no hazmat truck dwell).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.signals.shared import shared
from pipeline.signals.stops import merge_stops, night_minutes, stops_from_db

OUT = ["premises_id", "strength", "value", "baseline", "sentence"]


def eligible_premises_sql() -> str:
    """Premises with a real location, their licence validity intervals and name."""
    return """
        SELECT p.premises_id, p.name, p.lon, p.lat
        FROM premises p
        WHERE p.coord_precision IN ('meter_gps', 'site_inventory')
          AND p.lon IS NOT NULL AND p.lat IS NOT NULL
    """


def licence_intervals(con) -> pd.DataFrame:
    """premises_id, valid_from, valid_to of every linked hazmat licence (end date as
    prepare.sql reads it: NULL where the recorded one contradicts the licence)."""
    return con.execute("SELECT premises_id, valid_from, valid_to FROM sig_licences").df()


def licensed_on(lic: pd.DataFrame, premises_ids: pd.Series, days: pd.Series) -> np.ndarray:
    """For each (premises, day): is a linked licence unexpired that day? (no end date = valid;
    the start date does not limit: an export lists current licences, renewed ones included)."""
    if not len(lic) or not len(premises_ids):
        return np.zeros(len(premises_ids), dtype=bool)
    q = pd.DataFrame({"premises_id": premises_ids.to_numpy(), "day": pd.to_datetime(days).to_numpy(),
                      "_i": np.arange(len(premises_ids))})
    j = q.merge(lic, on="premises_id", how="inner")
    vt = pd.to_datetime(j["valid_to"])
    ok = vt.isna() | (j["day"] <= vt)
    out = np.zeros(len(premises_ids), dtype=bool)
    out[j.loc[ok.to_numpy(), "_i"].to_numpy()] = True
    return out


def nearest_premises(con, pts: pd.DataFrame, radius_m: float) -> pd.DataFrame:
    """For each row of pts (_i, lon, lat): the nearest eligible premises within radius_m
    (premises_id, name, dist_m), or nothing."""
    con.register("_ts_pts", pts[["_i", "lon", "lat"]])
    try:
        deg_lat = radius_m / 111_000.0
        return con.execute(f"""
            WITH prem AS ({eligible_premises_sql()}),
            cand AS (
                SELECT s._i, p.premises_id, p.name, haversine_m(s.lon, s.lat, p.lon, p.lat) AS dist_m
                FROM _ts_pts s JOIN prem p
                  ON p.lat BETWEEN s.lat - $dlat AND s.lat + $dlat
                 AND p.lon BETWEEN s.lon - $dlat / cos(radians(s.lat)) AND s.lon + $dlat / cos(radians(s.lat))
            )
            SELECT _i, arg_min(premises_id, (dist_m, premises_id)) AS premises_id, arg_min(name, (dist_m, premises_id)) AS name,
                   min(dist_m) AS dist_m
            FROM cand WHERE dist_m <= $radius GROUP BY _i
        """, {"dlat": deg_lat, "radius": float(radius_m)}).df()
    finally:
        con.unregister("_ts_pts")


def near_legit_places(stops: pd.DataFrame, places: list | None) -> np.ndarray:
    """Stops within the radius of a configured legitimate place."""
    out = np.zeros(len(stops), dtype=bool)
    for pl in places or []:
        lo, la, r = float(pl["lon"]), float(pl["lat"]), float(pl.get("radius_m", 200))
        a = np.radians(stops["lat"].to_numpy())
        h = np.sin((a - np.radians(la)) / 2) ** 2 + np.cos(a) * np.cos(np.radians(la)) * \
            np.sin(np.radians(stops["lon"].to_numpy() - lo) / 2) ** 2
        out |= 2 * 6_371_008.8 * np.arcsin(np.sqrt(h)) <= r
    return out


def attributed_stops(con, params: dict) -> pd.DataFrame:
    """Stops of the window, each with its nearest located premises (or none), licence status,
    name-legitimacy and night minutes. Shared with waybill_stop_mismatch (built once per run)."""
    used = ("as_of", "window_days", "recent_days", "stop_radius_m", "min_stop_min", "gap_min", "legit_places",
            "radius_m", "legit_words_re", "night_hours")
    key = ("attributed_stops", repr([(k, params.get(k)) for k in used]))
    return shared(key, lambda: _attributed_stops(con, params)).copy()


def _attributed_stops(con, params: dict) -> pd.DataFrame:
    as_of = params["as_of"]
    days = int(params.get("window_days", params.get("recent_days", 28)))
    radius, min_stop, gap = (float(params.get("stop_radius_m", 100)), float(params.get("min_stop_min", 15)),
                             float(params.get("gap_min", 15)))
    st = merge_stops(stops_from_db(con, radius, min_stop, gap, as_of=as_of, days=days), radius, gap)
    if not len(st):
        return st.assign(premises_id=pd.Series(dtype="string"), name=pd.Series(dtype="string"),
                         dist_m=pd.Series(dtype=float), licensed=pd.Series(dtype=bool),
                         legit=pd.Series(dtype=bool), night_min=pd.Series(dtype=float))
    st = st.reset_index(drop=True)
    st["_i"] = np.arange(len(st))
    st["legit"] = near_legit_places(st, params.get("legit_places"))
    near = nearest_premises(con, st, float(params.get("radius_m", 150)))
    st = st.merge(near, on="_i", how="left")
    st["licensed"] = False
    has = st["premises_id"].notna()
    if has.any():
        st.loc[has, "licensed"] = licensed_on(licence_intervals(con), st.loc[has, "premises_id"],
                                              st.loc[has, "started_at"].dt.normalize())
    words = params.get("legit_words_re")
    if words:
        pat = re.compile(words)
        st["legit"] |= st["name"].fillna("").map(lambda s: bool(pat.search(s))).astype(bool)
    st["night_min"] = night_minutes(st["started_at"], st["finished_at"], params.get("night_hours", [[22, 24], [0, 6]]))
    return st.drop(columns="_i")


def nearest_community(pts: pd.DataFrame, communities: list[dict]) -> np.ndarray:
    """Name of the nearest community centroid of each point (lon, lat)."""
    if not communities or not len(pts):
        return np.full(len(pts), None, dtype=object)
    clon = np.array([float(c["lon"]) for c in communities])
    clat = np.array([float(c["lat"]) for c in communities])
    lon, lat = pts["lon"].to_numpy()[:, None], pts["lat"].to_numpy()[:, None]
    d2 = ((lon - clon) * np.cos(np.radians(lat))) ** 2 + (lat - clat) ** 2
    return np.array([c["name"] for c in communities], dtype=object)[d2.argmin(axis=1)]


def mark_declared(con, st: pd.DataFrame, params: dict, communities: list[dict] | None = None) -> pd.DataFrame:
    """Columns `declared` and `maybe_declared` of the stops.

    A stop belongs to the trip of an e-waybill of its truck when it starts on the waybill's
    departure day, or the next day before `overnight_until_hour` (runs through the night);
    the recorded departure time itself is too loose to be matched to the hour. It is `declared` when it lies
    within radius_m of a located premises one of those waybills names as its unloading place
    (not only when that premises is the nearest one: a neighbour may be nearer). It is
    `maybe_declared` when one of those waybills names a premises that cannot be located (its
    coordinates are its community's centroid) in the community the stop is in (nearest
    centroid): the stop may be that delivery, so it is not held against a neighbour."""
    st = st.copy()
    st["declared"] = False
    st["maybe_declared"] = False
    if not len(st):
        return st
    days = int(params.get("window_days", params.get("recent_days", 28)))
    wb = con.execute("""
        SELECT w.plate, w.depart_at, w.waybill_no, p.lon AS p_lon, p.lat AS p_lat, p.community AS w_comm,
               coalesce(p.coord_precision IN ('meter_gps', 'site_inventory'), false) AS located
        FROM stg_waybills w
        LEFT JOIN premises_members m ON m.source = 'waybills' AND m.source_key = w.waybill_no
        LEFT JOIN premises p ON p.premises_id = m.premises_id
        WHERE w.plate IS NOT NULL AND w.depart_at IS NOT NULL
          AND w.depart_at::DATE BETWEEN ?::DATE - ?::INTEGER - 1 AND ?::DATE
    """, [params["as_of"], days, params["as_of"]]).df()
    if not len(wb):
        return st
    overnight = pd.Timedelta(hours=float(params.get("overnight_until_hour", 12)))
    wb["depart_at"] = pd.to_datetime(wb["depart_at"]).astype("datetime64[ns]")
    wb["trip_day"] = wb["depart_at"].dt.normalize()
    st["_k"] = np.arange(len(st))
    s = st[["_k", "plate", "started_at", "lon", "lat"]].copy()
    s["s_comm"] = nearest_community(s, communities)
    s["started_at"] = s["started_at"].astype("datetime64[ns]")
    j = s.merge(wb, on="plate", how="inner")
    sday = j["started_at"].dt.normalize()
    j = j[(sday == j["trip_day"])
          | ((sday == j["trip_day"] + pd.Timedelta(days=1)) & (j["started_at"] < sday + overnight))]
    if not len(j):
        return st.drop(columns=["_k"])
    jl = j[j["located"]]
    if len(jl):
        la1, la2 = np.radians(jl["lat"].to_numpy()), np.radians(jl["p_lat"].to_numpy())
        h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * \
            np.sin(np.radians(jl["p_lon"].to_numpy() - jl["lon"].to_numpy()) / 2) ** 2
        near = 2 * 6_371_008.8 * np.arcsin(np.sqrt(h)) <= float(params.get("radius_m", 150))
        st.loc[st["_k"].isin(jl.loc[near, "_k"]), "declared"] = True
    # a waybill to a place that cannot be located still names its community: a stop in that
    # community on that trip may be that delivery
    ju = j[~j["located"] & j["w_comm"].notna() & (j["w_comm"] == j["s_comm"])]
    st.loc[st["_k"].isin(ju["_k"]) & ~st["declared"], "maybe_declared"] = True
    return st.drop(columns=["_k"])


def night_points(st: pd.DataFrame, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(is_night, points) of each stop: night when at least min_night_min of it — or half
    of a shorter one — lies in the night hours (`night_min`); night_weight else day_weight."""
    min_night = float(params.get("min_night_min", 15))
    is_night = (st["night_min"] >= np.minimum(min_night, np.maximum(st["duration_min"], 1) * 0.5)).to_numpy()
    return is_night, np.where(is_night, float(params.get("night_weight", 1.0)), float(params.get("day_weight", 0.4)))


def evidence(con, cfg, params) -> pd.DataFrame:
    st = attributed_stops(con, params)
    if not len(st):
        return pd.DataFrame(columns=OUT)
    st = mark_declared(con, st, params, cfg.campaign.get("communities", []))
    st = st[st["premises_id"].notna() & ~st["licensed"] & ~st["legit"] & ~st["declared"] & ~st["maybe_declared"]].copy()
    if not len(st):
        return pd.DataFrame(columns=OUT)
    st["is_night"], st["points"] = night_points(st, params)
    full = max(float(params.get("full_points", 3)), 1e-9)
    rows = []
    for pid, g in st.groupby("premises_id", sort=True):
        n, n_night = len(g), int(g["is_night"].sum())
        hours = g["duration_min"].sum() / 60.0
        plates = "、".join(sorted(g["plate"].astype(str).unique()))
        last = g["started_at"].max().strftime("%Y-%m-%d")
        if n_night == n:
            when = f"夜间在此停留 {n} 次（累计 {hours:.1f} 小时）"
        elif n_night:
            when = f"在此停留 {n} 次（其中夜间 {n_night} 次，累计 {hours:.1f} 小时）"
        else:
            when = f"白天在此停留 {n} 次（累计 {hours:.1f} 小时）"
        sentence = (f"危货车辆 {plates} {when}，最近 {last}，无对应电子运单，该处无危化品许可"
                    f"（停车点距该处 {g['dist_m'].min():.0f} 米）")
        rows.append({"premises_id": pid, "strength": min(1.0, g["points"].sum() / full),
                     "value": f"{n} 次（夜间 {n_night} 次，{hours:.1f} 小时）", "baseline": "0",
                     "sentence": sentence})
    return pd.DataFrame(rows, columns=OUT)
