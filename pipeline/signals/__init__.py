"""Signals stage: one `evidence` row per fired signal per premises per run.

Each signal is one SELECT in a `.sql` file beside this module returning
(premises_id, strength 0–1, value, baseline, sentence); thresholds come from
`configs/scoring.yaml` as named parameters. Signals whose source table is empty simply
fire nowhere, so a week without, say, waybills still screens on the rest.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from pipeline.config import Config
from pipeline.db import run_sql_file

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

# signal code → the office (source family) it comes from; corroboration counts families.
FAMILY = {
    "registry_chemical": "registry",
    "cover_name": "registry",
    "power_surge": "power",
    "power_night": "power",
    "power_industrial_on_residential": "power",
    "waybill_unlicensed": "transport",
    "tip": "tips",
    "idle_site": "sites",
}

EVIDENCE_DDL = """
CREATE TABLE IF NOT EXISTS evidence (
    run_id INTEGER, premises_id VARCHAR, signal VARCHAR, family VARCHAR,
    strength DOUBLE, value VARCHAR, baseline VARCHAR, sentence VARCHAR
)
"""


def _regex(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in words)


def _params(cfg: Config, code: str, as_of: dt.date) -> dict:
    spec = dict(cfg.scoring["signals"][code])
    spec.pop("weight", None)
    p: dict = {"as_of": as_of}
    surge = cfg.scoring["signals"].get("power_surge", {})
    p["recent_days"] = int(spec.pop("recent_days", surge.get("recent_days", 28)))
    p["baseline_days"] = int(spec.pop("baseline_days", surge.get("baseline_days", 84)))
    if "words" in spec:
        key = "cover_re" if code == "cover_name" else "words_re"
        p[key] = _regex(spec.pop("words"))
    if "exclusion_words" in spec:
        p["exclusion_re"] = _regex(spec.pop("exclusion_words"))
    p.update(spec)
    return p


def _bind(sql: str, params: dict) -> dict:
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in used}


def compute_evidence(con, cfg: Config, run_id: int, as_of: dt.date) -> dict[str, int]:
    """Write this run's evidence rows; return the number of premises each signal fired on."""
    con.execute(EVIDENCE_DDL)
    con.execute("DELETE FROM evidence WHERE run_id = ?", [run_id])
    daily_sql = (HERE / "daily.sql").read_text(encoding="utf-8")
    for stmt in filter(str.strip, daily_sql.split(";")):
        con.execute(stmt, _bind(stmt, {"as_of": as_of}))
    fired: dict[str, int] = {}
    for code in FAMILY:
        if code not in cfg.scoring["signals"]:
            continue
        sql = (HERE / f"{code}.sql").read_text(encoding="utf-8").rstrip().rstrip(";")
        params = _bind(sql, _params(cfg, code, as_of))
        params.update(run_id=run_id, code=code, family=FAMILY[code])
        con.execute(
            f"""INSERT INTO evidence
                SELECT $run_id, premises_id, $code, $family, strength,
                       CAST(value AS VARCHAR), CAST(baseline AS VARCHAR), sentence
                FROM ({sql})""",
            params,
        )
        fired[code] = con.execute(
            "SELECT count(*) FROM evidence WHERE run_id = ? AND signal = ?", [run_id, code]
        ).fetchone()[0]
        log.info("signal %-34s fired on %6d premises", code, fired[code])
    return fired
