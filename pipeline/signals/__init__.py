"""Signals stage: one `evidence` row per fired signal per premises per run.

Which signals run, their office (`family`), weight and thresholds are listed in
`configs/scoring.yaml` under `signals:`. A signal `<code>` is implemented either by
`<code>.sql` beside this module — one SELECT returning (premises_id, strength 0–1, value,
baseline, sentence) with the thresholds as named parameters — or by `<code>.py` exposing
`evidence(con, cfg, params) -> pandas.DataFrame` with the same columns, for work that is
not one query (stop detection over truck tracks). `prepare.sql` builds the shared inputs
(premises' accounts, daily consumption, licences) once per run.

Signals whose source table is empty fire nowhere, so a week without, say, waybills still
screens on the rest.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import re
import time
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.db import run_sql_file
from pipeline.signals.shared import run_scope
from pipeline.signals.text import FIRED, SIGNAL_NAMES

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
LEXICON = HERE.parents[1] / "data" / "reference" / "chemicals.csv"

FAMILIES = ("registry", "licenses", "power", "transport", "tips", "sites")
COLUMNS = ["premises_id", "strength", "value", "baseline", "sentence"]

EVIDENCE_DDL = """
CREATE TABLE IF NOT EXISTS evidence (
    run_id INTEGER, premises_id VARCHAR, signal VARCHAR, family VARCHAR,
    strength DOUBLE, value VARCHAR, baseline VARCHAR, sentence VARCHAR
)
"""


def _regex(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in words)


def signal_params(cfg: Config, code: str, as_of: dt.date) -> dict:
    """Named parameters of one signal: its settings, word lists as regexes (`<key>_re`),
    the run date and the time-of-use hours."""
    spec = dict(cfg.scoring["signals"][code])
    spec.pop("weight", None)
    spec.pop("family", None)
    defaults = cfg.scoring.get("windows", {})
    p: dict = {"as_of": as_of,
               "recent_days": int(defaults.get("recent_days", 28)),
               "baseline_days": int(defaults.get("baseline_days", 84))}
    for key, val in spec.items():
        if key == "words" or key.endswith("_words"):
            p[("" if key == "words" else key[: -len("words")]) + "words_re"] = _regex(val)
        else:
            p[key] = val
    return p


def _bind(sql: str, params: dict) -> dict:
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in used}


def _evidence_frame(con, cfg: Config, code: str, params: dict) -> pd.DataFrame:
    py = HERE / f"{code}.py"
    if py.exists():
        mod = importlib.import_module(f"pipeline.signals.{code}")
        return mod.evidence(con, cfg, params)
    sql = (HERE / f"{code}.sql").read_text(encoding="utf-8").rstrip().rstrip(";")
    return con.execute(sql, _bind(sql, params)).df()


def prepare(con, cfg: Config, as_of: dt.date) -> None:
    """Shared inputs of the signals for one run date: prepare.sql and the chemical lexicon."""
    from pipeline.ingest import ensure_schema
    from pipeline.link import known_records

    ensure_schema(con)                # a source without any file yet reads as an empty table
    known_records(con)                # accounts/firms known only from an office's list
    has_parse = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'int_link_parsed'").fetchone()[0]
    if not has_parse:
        # premises built without the link stage (hand-made in tests): no parsed names/addresses
        con.execute("CREATE TEMP TABLE int_link_parsed (rid BIGINT, source VARCHAR, source_key VARCHAR, name VARCHAR, "
                    "core VARCHAR, trade VARCHAR, form VARCHAR, is_person BOOLEAN, person_key VARCHAR, community VARCHAR, "
                    "road VARCHAR, number VARCHAR)")
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'premises'").fetchone()[0]:
        # premises_members built by hand (tests) without premises: no places either
        con.execute("CREATE TEMP TABLE premises (premises_id VARCHAR, name VARCHAR, address VARCHAR, uscc VARCHAR, "
                    "community VARCHAR, place_id VARCHAR)")
    run_sql_file(con, HERE / "prepare.sql", {"as_of": as_of})
    lexicon = pd.read_csv(LEXICON, dtype=str, keep_default_na=False)
    con.register("_lexicon", lexicon)
    con.execute("CREATE OR REPLACE TEMP TABLE ref_chemicals AS SELECT * FROM _lexicon")
    con.unregister("_lexicon")


def signal_evidence(con, cfg: Config, code: str, as_of: dt.date, **overrides) -> pd.DataFrame:
    """One signal's evidence frame (needs prepare() for as_of); overrides replace settings."""
    params = signal_params(cfg, code, as_of)
    params["night_hours"] = [list(x) for x in cfg.campaign.get("time_of_use", {}).get(
        "night_hours", [[22, 24], [0, 6]])]
    params.update(overrides)
    df = _evidence_frame(con, cfg, code, params)
    df = df[COLUMNS].copy() if len(df) else pd.DataFrame(columns=COLUMNS)
    df["value"] = df["value"].astype("string")
    df["baseline"] = df["baseline"].astype("string")
    df["strength"] = df["strength"].astype(float).clip(0, 1)
    return df[df["sentence"].notna() & df["premises_id"].notna()]


def compute_evidence(con, cfg: Config, run_id: int, as_of: dt.date) -> dict[str, int]:
    """Write this run's evidence rows; return the number of premises each signal fired on."""
    con.execute(EVIDENCE_DDL)
    con.execute("DELETE FROM evidence WHERE run_id = ?", [run_id])
    prepare(con, cfg, as_of)
    fired: dict[str, int] = {}
    with run_scope():                 # tables several signals read are built once
        for code, spec in cfg.scoring["signals"].items():
            t0 = time.perf_counter()
            df = signal_evidence(con, cfg, code, as_of)
            con.register("_ev", df)
            con.execute("INSERT INTO evidence SELECT ?, premises_id, ?, ?, strength, value, baseline, sentence "
                        "FROM _ev", [run_id, code, spec["family"]])
            con.unregister("_ev")
            fired[code] = int(df["premises_id"].nunique())
            log.debug("signal %-34s fired on %6d premises (%.1f s)", code, fired[code], time.perf_counter() - t0)
            log.info(FIRED.format(name=SIGNAL_NAMES.get(code, code), n=fired[code]))
    return fired
