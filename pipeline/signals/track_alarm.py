"""Signal track_alarm (family transport): the 联网联控 platform's own alarms — 异常停车 above all —
at a place that holds no hazmat licence, undeclared by any e-waybill, at night, repeated.

The transport office often hands over the platform's alarm export instead of every GPS fix.
Each alarm is read like a stop of truck_stop:

1. Alarms of `stop_types` (a dwell: 异常停车) count fully, of `other_types` (偏离路线: the truck
   left its declared route there) at `other_factor`; moving alarms (夜间行驶, 疲劳驾驶, 超速)
   name no place and are not used. Only alarms of the last `window_days` before the run date.
2. Raw tracks win: an alarm whose truck has GPS fixes in stg_tracks around the alarm's time
   is truck_stop's to judge (it sees the stop itself), so it is left out here.
3. Place: by the alarm's coordinates, the nearest located premises within `radius_m` (as
   truck_stop); without coordinates, or with none near, by its 位置描述 — parsed like any
   address — to the premises at that community + road + street number, or at that
   community's landmark ("后山废弃养殖场"). Several premises there share the alarm.
4. Silenced where the premises holds a hazmat licence valid on the alarm's day, is a place
   trucks legitimately wait (truck_stop's `legit_words`, `legit_places`), or where one of the
   truck's e-waybills of that trip names it as the unloading place (truck_stop.mark_declared
   for alarms with coordinates; the same premises for alarms placed by address).
5. Strength: per alarm `night_weight` if at least `min_night_min` of it (or half of a short
   one) falls in the night hours, else `day_weight`, times the type factor; summed over the
   alarms, / `full_points`, capped at 1.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.signals.stops import night_minutes
from pipeline.signals.truck_stop import (OUT, licence_intervals, licensed_on, mark_declared, near_legit_places,
                                         nearest_premises, night_points)

_ALARMS_SQL = """
SELECT a.plate, a.alarm_type, a.started_at,
       coalesce(a.ended_at, a.started_at + to_minutes(CAST(round(a.duration_min) AS BIGINT)), a.started_at) AS finished_at,
       coalesce(a.duration_min, date_diff('second', a.started_at, a.ended_at) / 60.0, 0) AS duration_min,
       a.lon, a.lat, a.location
FROM stg_track_alarms a
WHERE a.plate IS NOT NULL AND a.started_at IS NOT NULL
  AND a.alarm_type IN (SELECT unnest($types::VARCHAR[]))
  AND a.started_at::DATE > $as_of - $window_days AND a.started_at::DATE <= $as_of
  -- raw tracks of this truck around the alarm: truck_stop sees the stop itself
  AND NOT EXISTS (SELECT 1 FROM stg_tracks t
                  WHERE t.plate = a.plate
                    AND t.ts BETWEEN a.started_at - INTERVAL 30 MINUTE
                                 AND coalesce(a.ended_at, a.started_at) + INTERVAL 30 MINUTE)
ORDER BY a.plate, a.started_at, a.alarm_type
"""


def _by_address(con, cfg, locations: pd.Series) -> pd.DataFrame:
    """(location, premises_id, name) for 位置描述 that name where premises are: community +
    road + street number (the place premises.sql derives from the same key), or, for a place
    known by a landmark only ("曾林社区后山废弃养殖场附近"), community + that landmark as a record
    of the premises writes it."""
    from pipeline.link.addresses import community_patterns, parse_address

    comms = cfg.communities
    pats = community_patterns([c["name"] for c in comms], {c["name"]: c.get("aliases", []) for c in comms})
    keys, marks = [], []
    for loc in sorted(set(locations.dropna())):
        a = parse_address(loc, pats)
        if a.community and a.road and a.number:
            keys.append((loc, f"{a.community}|{a.road}|{a.number}"))
        elif a.community and not a.road and a.rest and len(a.rest) >= 3:
            marks.append((loc, a.community, a.rest))
    out = [pd.DataFrame(columns=["location", "premises_id", "name"])]
    if keys:
        con.register("_alarm_keys", pd.DataFrame(keys, columns=["location", "addr_key"]))
        try:
            out.append(con.execute("""
                SELECT k.location, p.premises_id, p.name
                FROM _alarm_keys k JOIN premises p ON p.place_id = 'S' || upper(substr(sha256(k.addr_key), 1, 10))
            """).df())
        finally:
            con.unregister("_alarm_keys")
    if marks:
        con.register("_alarm_marks", pd.DataFrame(marks, columns=["location", "community", "rest"]))
        try:
            out.append(con.execute("""
                SELECT DISTINCT k.location, p.premises_id, p.name
                FROM _alarm_marks k
                JOIN int_link_parsed q ON q.community = k.community AND q.road IS NULL AND q.addr_rest = k.rest
                JOIN premises_members m ON m.source = q.source AND m.source_key = q.source_key
                JOIN premises p ON p.premises_id = m.premises_id
            """).df())
        finally:
            con.unregister("_alarm_marks")
    return pd.concat(out, ignore_index=True).drop_duplicates().sort_values(["location", "premises_id"])


def _declared_by_premises(con, al: pd.DataFrame, params: dict) -> np.ndarray:
    """Alarm placed at a premises that one of the truck's waybills of that trip unloads at."""
    if not len(al):
        return np.zeros(0, dtype=bool)
    wb = con.execute("""
        SELECT w.plate, CAST(w.depart_at AS DATE) AS trip_day, m.premises_id
        FROM stg_waybills w JOIN premises_members m ON m.source = 'waybills' AND m.source_key = w.waybill_no
        WHERE w.plate IS NOT NULL AND w.depart_at IS NOT NULL
    """).df()
    if not len(wb):
        return np.zeros(len(al), dtype=bool)
    wb["trip_day"] = pd.to_datetime(wb["trip_day"])
    q = al[["plate", "premises_id", "started_at"]].copy()
    q["_k"] = np.arange(len(q))
    q["d0"] = q["started_at"].dt.normalize()
    overnight = pd.Timedelta(hours=float(params.get("overnight_until_hour", 12)))
    j = q.merge(wb, on=["plate", "premises_id"], how="inner")
    ok = (j["d0"] == j["trip_day"]) | ((j["d0"] == j["trip_day"] + pd.Timedelta(days=1))
                                       & (j["started_at"] < j["d0"] + overnight))
    out = np.zeros(len(al), dtype=bool)
    out[j.loc[ok, "_k"].to_numpy()] = True
    return out


def evidence(con, cfg, params) -> pd.DataFrame:
    from pipeline.signals import signal_params

    # where trucks legitimately wait, radius and night rules: truck_stop's settings, unless set here
    if "truck_stop" in cfg.scoring.get("signals", {}):
        params = {**signal_params(cfg, "truck_stop", params["as_of"]), **params}
    stop_types = list(params.get("stop_types", ["异常停车"]))
    other_types = list(params.get("other_types", ["偏离路线"]))
    al = con.execute(_ALARMS_SQL, {"types": stop_types + other_types, "as_of": params["as_of"],
                                   "window_days": int(params.get("window_days", 28))}).df()
    if not len(al):
        return pd.DataFrame(columns=OUT)
    al["started_at"] = pd.to_datetime(al["started_at"]).astype("datetime64[ns]")
    al["finished_at"] = pd.to_datetime(al["finished_at"]).astype("datetime64[ns]")
    al["_i"] = np.arange(len(al))
    radius = float(params.get("radius_m", 150))
    has_xy = al["lon"].notna() & al["lat"].notna()
    placed = []
    if has_xy.any():
        near = nearest_premises(con, al[has_xy], radius)
        near = near.merge(al[["_i"]], on="_i")
        near["how"] = "coords"
        placed.append(near[["_i", "premises_id", "name", "dist_m", "how"]])
    done = set(placed[0]["_i"]) if placed else set()
    rest = al[~al["_i"].isin(done) & al["location"].notna()]
    if len(rest):
        addr = _by_address(con, cfg, rest["location"])
        if len(addr):
            a = rest[["_i", "location"]].merge(addr, on="location")
            a["dist_m"] = np.nan
            a["how"] = "address"
            placed.append(a[["_i", "premises_id", "name", "dist_m", "how"]])
    if not placed:
        return pd.DataFrame(columns=OUT)
    pl = pd.concat(placed, ignore_index=True)
    pl["share"] = 1.0 / pl.groupby("_i")["premises_id"].transform("size")
    st = al.merge(pl, on="_i", how="inner").sort_values(["_i", "premises_id"]).reset_index(drop=True)
    # silenced: licensed that day, a legitimate waiting place, a declared delivery
    st["licensed"] = licensed_on(licence_intervals(con), st["premises_id"], st["started_at"].dt.normalize())
    st["legit"] = False
    xy = st["lon"].notna() & st["lat"].notna()
    if xy.any():
        st.loc[xy, "legit"] = near_legit_places(st[xy], params.get("legit_places"))
    words = params.get("legit_words_re")
    if words:
        pat = re.compile(words)
        st["legit"] |= st["name"].fillna("").map(lambda s: bool(pat.search(s))).astype(bool)
    st["declared"] = _declared_by_premises(con, st, params)
    if xy.any():
        md = mark_declared(con, st.loc[xy, ["plate", "started_at", "lon", "lat"]].reset_index(drop=True), params,
                           cfg.campaign.get("communities", []))
        st.loc[xy, "declared"] |= (md["declared"] | md["maybe_declared"]).to_numpy()
    st = st[~st["licensed"] & ~st["legit"] & ~st["declared"]].copy()
    if not len(st):
        return pd.DataFrame(columns=OUT)
    st["night_min"] = night_minutes(st["started_at"], st["finished_at"], params.get("night_hours", [[22, 24], [0, 6]]))
    st["is_night"], points = night_points(st, params)
    factor = np.where(st["alarm_type"].isin(stop_types), 1.0, float(params.get("other_factor", 0.5)))
    st["points"] = factor * st["share"] * points
    full = max(float(params.get("full_points", 3)), 1e-9)
    rows = []
    for pid, g in st.groupby("premises_id", sort=True):
        n, n_night = len(g), int(g["is_night"].sum())
        hours = g["duration_min"].sum() / 60.0
        plates = "、".join(sorted(g["plate"].astype(str).unique()))
        kinds = "、".join(f"“{t}”{k} 次" for t, k in g["alarm_type"].value_counts().sort_index().items())
        night = f"其中夜间 {n_night} 次，" if n_night else ""
        last = g["started_at"].max().strftime("%Y-%m-%d")
        where = (f"报警位置距该处 {g['dist_m'].min():.0f} 米" if g["dist_m"].notna().any()
                 else f"报警位置：{g['location'].dropna().iloc[0]}")
        shared = "，同一门牌另有其他场所" if (g["share"] < 1).any() else ""
        sentence = (f"联网联控平台报警：危货车辆 {plates} 在此{kinds}（{night}累计 {hours:.1f} 小时），最近 {last}，"
                    f"无对应电子运单，该处无危化品许可（{where}{shared}）")
        rows.append({"premises_id": pid, "strength": min(1.0, g["points"].sum() / full),
                     "value": f"{n} 次（夜间 {n_night} 次，{hours:.1f} 小时）", "baseline": "0", "sentence": sentence})
    return pd.DataFrame(rows, columns=OUT)
