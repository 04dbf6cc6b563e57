"""truth/: what the simulator planted, which records belong to which place, the mess."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PLACE_COLS = ["place_id", "role", "category", "kind", "community", "name", "address", "lon", "lat",
              "signals", "start_day"]

README = """# truth/ — answers for the simulated world (never read by the pipeline)

`places.csv` lists every physical place of the world — planted illegal workshops (role
planted, with the seed's 整治类别 1–5 in `category` and the day their illegal activity
started in `start_day`; an empty start_day or one before 2021-01-01 means it was already
running), legal look-alikes (role lookalike: night-shift factories, bakeries, cold stores,
EV-charging homes, ramping new factories, gas stations, licensed chemical firms, shoe
factories that legally receive solvents) and ordinary places (role normal) — with the
canonical address, WGS-84 lon/lat and `signals`, the semicolon list of signal families the
place really shows in the data (registry_words, cover_name, no_license, power_surge,
power_night, power_flat, industrial_on_residential, status_mismatch, waybill, truck_stop,
tip, idle_site, multi_entity, shared_address, host_meter (the workshop draws from its host's
meter, so the host's account shows the change; the host, a normal place, then carries
power_surge and hosts_workshop), new_account, license_expired,
excluded_chem_words (scope names chemicals only to exclude them)). `members.csv` gives, for
every registry, licence, power-account, waybill, tip-off and idle-site record written to the
inbox, the place it belongs to, keyed exactly as DESIGN §2 (`source_key`: uscc or
`name|address` as written, license_no, account_no, waybill_no, tip_id, site_id); the only
rows of those sources that belong to no place are the junk rows listed in `mess.csv` with
kind empty_key. `mess.csv` lists each deliberately broken cell (source, file, row as Excel
shows it counting title and header rows, column header as written, kind, severity reject or
warning, value); `files.csv` describes each written file (format, encoding, title rows,
header row, data rows, blank rows, 合计 row); `stops.csv` lists the truck stops laid into the
GPS tracks (delivery, or night stop at a planted site without a waybill); and
`readings_corrections.csv` the account-days whose value the June re-export corrects (the
later export must win).
"""

# Appended only for the list shapes (`simulate --shape lists|mixed`), so raw truth/ stays as it was.
README_LISTS = """
## The offices' own lists (shape {shape})

This world was written with `--shape {shape}`: {what}. The lists are derived from the same
world the way each office's system derives them:

- `power_readings/营销系统_月度电量_201907-202106.csv` (GBK, title rows, a 合计 row): the
  营销系统's monthly bills of every account, 2019-07 … 2021-06, with 户名/用电地址/用电类别/
  行业分类 as its roster holds them (a few addresses and classes spelled another way; a few
  户号 lost their leading zero: mess.csv kind leading_zero_dropped, warning). The months
  2021-01 … 06 are the sums of the daily truth (the corrected values); the months before
  follow each account's level, weekly pattern and season (Spring Festival 2020 closed the
  factories from 2020-01-17 to 02-20). A planted place whose activity started before 2021
  (start_day before 2021-01-01) is high from that day on and at its earlier level before:
  its 2021 bills can show a 同比 surge that the daily window, and so its `signals`, does not.
- `power_surge_list/` (罗山供电所 XLSX, 安海供电所 GBK CSV): the power office's rule on
  those bills — for 2021-04 … 06, 本期 ≥ 3,000 kWh and (同比 ≥ +100 % or 环比 ≥ +80 %), one
  row per account and flagged month, growths as the office writes them ("320%", "3.2倍" =
  3.2 times; blank when there is no base). A workshop on its host's meter, or one too small,
  is not on it.
- `track_alarms/` (联网联控 platform; XLSX: 异常停车 and 疲劳驾驶, GBK CSV: 夜间行驶): the
  platform's rules on the GPS fixes of the tracked trucks — 异常停车 = speed < 1 km/h for
  ≥ 20 min more than 300 m from the carriers' yard (deliveries, night stops and the loading
  points alike); 夜间行驶 = moving between 02:00 and 05:00; 疲劳驾驶 = ≥ 4 h driving without
  a 20-minute rest (the simulated trips are short: usually none). Times whole minutes,
  coordinates WGS-84 (stop centroid; a few rows without), 位置描述 the nearest place's
  address at number level + 附近 within 150 m, else road level. `alarms.csv` lists every
  alarm (plate, alarm_type, started_at, place_id = the place of the stop, empty if none,
  ended_at, duration_min, file).
- `registry_list/市场监管所_涉化工企业排查名单_20210630.xlsx`: the registry rows (not 注销/
  迁出) whose name or scope contains one of the office's words ({words}) — a
  plain substring rule, so it also lists 园林绿化工程 or scopes that exclude chemicals, and
  misses cover names; 排查原因 names the word.

`members.csv` also maps these records: registry_list by source_key as registry,
power_readings (the monthly bills) and power_surge_list by account_no.
{extra}"""


README_VARY = """
## A varied world (`simulate --vary`)

This world's behavioural assumptions were drawn from the ranges documented in
`pipeline/simulate/vary.py`; `vary.json` holds `params` (every drawn value) and `applied`
(what was done with them: the planted places silent in each source, those running since
before the window (`start_day` before 2021-01-01, signal power_level instead of
power_surge: a high level with no change point, visible in the monthly history before the
window and as kWh per contract kVA) or intermittently, counts of person-named meters,
vague and repeated tips, short-name tips, waybills consigned to the boss, typos, the trucks
whose platform exports GCJ-02). `signals` in places.csv follows: a source silenced for a
place drops its families. Membership is exact as always: a meter in the boss's or the
landlord's name belongs to the business's place; every repeated vague tip to the place it
is about.
"""


def write_truth(out: Path, frames: dict, members: pd.DataFrame, results: list[dict],
                stops: pd.DataFrame, corrections: pd.DataFrame, alarms: pd.DataFrame | None = None,
                shape: str = "raw", vary: dict | None = None) -> dict:
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    pl = frames["places"][PLACE_COLS].copy()
    pl.to_csv(truth / "places.csv", index=False, encoding="utf-8", lineterminator="\n")
    members.to_csv(truth / "members.csv", index=False, encoding="utf-8", lineterminator="\n")
    mess = pd.DataFrame([m for r in results for m in r["mess"]],
                        columns=["source", "file", "row", "column", "kind", "severity", "value"])
    mess.to_csv(truth / "mess.csv", index=False, encoding="utf-8", lineterminator="\n")
    pd.DataFrame([r["info"] for r in results]).to_csv(truth / "files.csv", index=False, encoding="utf-8",
                                                      lineterminator="\n")
    st = stops.copy()
    if len(st):
        for c in ("arrive", "depart"):
            st[c] = st[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    st.to_csv(truth / "stops.csv", index=False, encoding="utf-8", lineterminator="\n")
    corrections.to_csv(truth / "readings_corrections.csv", index=False, encoding="utf-8", lineterminator="\n")
    text = README
    if alarms is not None:
        from pipeline.simulate.lists import MARKET_WORDS

        alarms.to_csv(truth / "alarms.csv", index=False, encoding="utf-8", lineterminator="\n")
        what = {"lists": "no 用电客户档案 (power_accounts), no daily readings and no GPS tracks; "
                         "instead the four list exports below",
                "mixed": "all the raw data plus the four list exports below"}[shape]
        extra = ("\nNo power_accounts rows in members.csv (no roster was handed over); "
                 "readings_corrections.csv is empty (no daily exports); stops.csv still lists the stops "
                 "laid into the (unwritten) tracks.\n") if shape == "lists" else ""
        text += README_LISTS.format(shape=shape, what=what, words="、".join(MARKET_WORDS), extra=extra)
    if vary is not None:
        import json

        text += README_VARY
        (truth / "vary.json").write_text(json.dumps(vary, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                         encoding="utf-8")
    (truth / "README.md").write_text(text, encoding="utf-8")
    counts = {s: int(n) for s, n in members["source"].value_counts().sort_index().items()}
    return counts
