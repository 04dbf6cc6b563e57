"""Signal waybill_stop_mismatch (family transport): an e-waybill declares an unloading
place, but its truck's GPS shows it never stopped there that day and made a long stop
somewhere else — the declared consignee covers for where the goods really went.

For each e-waybill of the window whose truck has GPS fixes on its departure day and whose
declared unloading premises has a real location (meter_gps / site_inventory; a community
centroid cannot be checked):
- consistent: a stop of the truck on the trip (the departure day, or the next day before
  `overnight_until_hour`) within `radius_m` of the declared premises;
- mismatch: no such stop, but a stop of at least `min_mismatch_stop_min` on the trip inside
  the subdistrict (within campaign `community_max_distance_m` of a community centroid) that
  no other waybill of the truck explains, at no licensed or legitimate place (truck_stop's
  rules: `attributed_stops`, `mark_declared`). The longest such stop is where it went.
Evidence goes to the premises where the truck stopped when the stop is attributed to one
(nearest located premises within radius_m); otherwise to the declared consignee, the
sentence saying where the truck really stopped. Stop detection settings are truck_stop's
unless set here. Strength: 1/`full_count` per mismatched waybill, capped at 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.signals import signal_params
from pipeline.signals.truck_stop import attributed_stops, mark_declared

OUT = ["premises_id", "strength", "value", "baseline", "sentence"]


def _hav(lon1, lat1, lon2, lat2):
    la1, la2 = np.radians(lat1), np.radians(lat2)
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


def evidence(con, cfg, params) -> pd.DataFrame:
    p = dict(params)
    if "truck_stop" in cfg.scoring.get("signals", {}):
        ts = signal_params(cfg, "truck_stop", params["as_of"])
        p = {**ts, **params}
    st = attributed_stops(con, p)
    if not len(st):
        return pd.DataFrame(columns=OUT)
    comms = cfg.campaign.get("communities", [])
    st = mark_declared(con, st, p, comms)
    st = st.reset_index(drop=True)
    st["_k"] = np.arange(len(st))
    # inside the subdistrict: near some community centroid
    max_d = float(cfg.campaign.get("community_max_distance_m", 1500))
    if comms:
        clon = np.array([c["lon"] for c in comms], dtype=float)
        clat = np.array([c["lat"] for c in comms], dtype=float)
        d = _hav(st["lon"].to_numpy()[:, None], st["lat"].to_numpy()[:, None], clon[None, :], clat[None, :])
        st["inside"] = d.min(axis=1) <= max_d
    else:
        st["inside"] = True
    days = int(p.get("window_days", p.get("recent_days", 28)))
    wb = con.execute("""
        WITH cov AS (SELECT DISTINCT plate, ts::DATE AS day FROM stg_tracks)
        SELECT w.waybill_no, w.plate, w.depart_at, w.depart_at::DATE AS day, w.goods, w.consignee,
               m.premises_id AS decl_id, p.name AS decl_name, p.lon AS d_lon, p.lat AS d_lat
        FROM stg_waybills w
        JOIN premises_members m ON m.source = 'waybills' AND m.source_key = w.waybill_no
        JOIN premises p ON p.premises_id = m.premises_id
        JOIN cov ON cov.plate = w.plate AND cov.day = w.depart_at::DATE
        WHERE p.coord_precision IN ('meter_gps', 'site_inventory')
          AND w.depart_at::DATE BETWEEN ?::DATE - ?::INTEGER AND ?::DATE
    """, [p["as_of"], days, p["as_of"]]).df()
    if not len(wb):
        return pd.DataFrame(columns=OUT)
    wb["day"] = pd.to_datetime(wb["day"]).astype("datetime64[ns]")
    overnight = pd.Timedelta(hours=float(p.get("overnight_until_hour", 12)))
    s = st[["_k", "plate", "started_at", "lon", "lat", "duration_min", "premises_id", "name",
            "licensed", "legit", "declared", "maybe_declared", "inside"]].copy()
    s["started_at"] = s["started_at"].astype("datetime64[ns]")
    j = wb.merge(s, on="plate", how="inner")
    sday = j["started_at"].dt.normalize()
    j = j[(sday == j["day"]) | ((sday == j["day"] + pd.Timedelta(days=1)) & (j["started_at"] < sday + overnight))]
    radius = float(p.get("radius_m", 150))
    j = j.assign(d_decl=_hav(j["lon"].to_numpy(), j["lat"].to_numpy(), j["d_lon"].to_numpy(), j["d_lat"].to_numpy()))
    reached = set(j.loc[j["d_decl"] <= radius, "waybill_no"])
    min_stop = float(p.get("min_mismatch_stop_min", 30))
    cand = j[~j["waybill_no"].isin(reached) & j["inside"] & ~j["declared"] & ~j["maybe_declared"]
             & ~j["licensed"] & ~j["legit"] & (j["duration_min"] >= min_stop)]
    if not len(cand):
        return pd.DataFrame(columns=OUT)
    cand = cand.sort_values(["duration_min", "waybill_no", "started_at", "_k"],
                            ascending=[False, True, True, True]).drop_duplicates("waybill_no")
    cand["target"] = cand["premises_id"].where(cand["premises_id"].notna(), cand["decl_id"])
    full = max(float(p.get("full_count", 2)), 1.0)
    rows = []
    for pid, g in cand.groupby("target", sort=True):
        bits = []
        for r in g.sort_values(["depart_at", "waybill_no"]).itertuples():
            when = pd.Timestamp(r.started_at).strftime("%Y-%m-%d %H:%M")
            if r.premises_id == pid:
                bits.append(f"{r.plate} {pd.Timestamp(r.depart_at).strftime('%Y-%m-%d')} 的运单 {r.waybill_no}"
                            f"（{r.goods}）申报卸货于「{r.decl_name}」，车辆未到该处，却于 {when} 在此停留"
                            f" {r.duration_min / 60:.1f} 小时")
            else:
                bits.append(f"{r.plate} {pd.Timestamp(r.depart_at).strftime('%Y-%m-%d')} 的运单 {r.waybill_no}"
                            f"（{r.goods}）申报卸货于此，车辆当日未在此停留，实际于 {when} 停在"
                            f"（{r.lon:.5f}, {r.lat:.5f}），距此 {r.d_decl / 1000:.1f} 公里，停留 {r.duration_min / 60:.1f} 小时")
        rows.append({"premises_id": pid, "strength": min(1.0, len(g) / full), "value": str(len(g)),
                     "baseline": "0", "sentence": "危货车辆" + "；".join(bits)})
    return pd.DataFrame(rows, columns=OUT)
