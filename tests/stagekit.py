"""Helpers for stage tests: a real in-memory DuckDB with the stg schema and the real configs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from pipeline.config import Config
from pipeline.db import run_sql_file

ROOT = Path(__file__).resolve().parents[1]


def stg_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    run_sql_file(con, ROOT / "pipeline" / "macros.sql")
    run_sql_file(con, ROOT / "pipeline" / "ingest" / "schema.sql")
    run_sql_file(con, ROOT / "pipeline" / "link" / "known.sql")   # int_registry / int_power_accounts views
    return con


def project_config(**scoring_overrides) -> Config:
    cdir = ROOT / "configs"
    campaign = yaml.safe_load((cdir / "campaign.yaml").read_text(encoding="utf-8"))
    scoring = yaml.safe_load((cdir / "scoring.yaml").read_text(encoding="utf-8"))
    scoring.update(scoring_overrides)
    linking = yaml.safe_load((cdir / "linking.yaml").read_text(encoding="utf-8"))
    linking["decisions_dir"] = None
    return Config(cdir, campaign, scoring, linking)


def insert(con, table: str, rows: list[dict]) -> None:
    """Insert rows naming only some columns; batch_id/src_row default to 1/row index."""
    for i, row in enumerate(rows, start=2):
        row = {"batch_id": 1, **({} if table == "tip_reporters" else {"src_row": i}), **row}
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))


def daily_readings(con, account_no: str, start: str, days: int, kwh: float, valley_share: float = 0.2,
                   step_day: int | None = None, step_kwh: float | None = None) -> None:
    """Daily readings for one account; optionally a level change from day index step_day."""
    con.execute(
        """
        INSERT INTO stg_power_readings (batch_id, src_row, account_no, day, period, kwh, kwh_peak, kwh_flat, kwh_valley)
        SELECT 1, 2 + i, ?, ?::DATE + i::INTEGER, 'day', k, k * (1 - ?) / 2, k * (1 - ?) / 2, k * ?
        FROM (SELECT i, CASE WHEN ? IS NOT NULL AND i >= ? THEN ? ELSE ? END AS k FROM range(?) t(i))
        """,
        [account_no, start, valley_share, valley_share, valley_share,
         step_day, step_day, step_kwh, kwh, days],
    )


def signal_evidence_by_account(con, code: str, as_of, **overrides):
    """Build premises, prepare the signals' inputs and run one signal; the evidence frame
    indexed by the power account of each premises (None where it has none)."""
    from pipeline.link import build_premises
    from pipeline.signals import prepare, signal_evidence

    cfg = project_config()
    build_premises(con, cfg)
    prepare(con, cfg, as_of)
    df = signal_evidence(con, cfg, code, as_of, night_hours=[[22, 24], [0, 6]], **overrides)
    acct = dict(con.execute(
        "SELECT premises_id, source_key FROM premises_members WHERE source = 'power_accounts'").fetchall())
    df["account_no"] = df["premises_id"].map(acct)
    return df.set_index("account_no")
