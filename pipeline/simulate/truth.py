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


def write_truth(out: Path, frames: dict, members: pd.DataFrame, results: list[dict],
                stops: pd.DataFrame, corrections: pd.DataFrame) -> dict:
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
    (truth / "README.md").write_text(README, encoding="utf-8")
    counts = {s: int(n) for s, n in members["source"].value_counts().sort_index().items()}
    return counts
