"""The `screen` run: ingest what is new, then link, signals, score, publish, manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from pipeline import __version__, config as config_mod
from pipeline.db import connect, ensure_runs_table, transaction

log = logging.getLogger(__name__)


# Tables whose row counts go into the manifest.
_COUNTED = ("batches", "rejects", "stg_registry", "stg_registry_list", "stg_licenses", "stg_power_accounts",
            "stg_power_readings", "stg_power_surge_list", "stg_waybills", "stg_tracks", "stg_track_alarms",
            "stg_tips", "stg_sites", "stg_outcomes", "premises", "premises_members")

# The date column that tells how fresh each source is.
_FRESHNESS = {
    # a monthly bill's day is the first of its month: the data reaches the month's end
    "power_readings": ("stg_power_readings", "CASE WHEN period = 'month' THEN last_day(day) ELSE day END"),
    "power_surge_list": ("stg_power_surge_list", "period_end"),
    "waybills": ("stg_waybills", "depart_at"),
    "tracks": ("stg_tracks", "ts"),
    "track_alarms": ("stg_track_alarms", "started_at"),
    "tips": ("stg_tips", "received_at"),
}
_POWER = ("power_readings", "power_surge_list")
# a missing source → the office's own list that stands in for it (the note says what it lacks)
_STANDS_IN = {"tracks": "track_alarms", "registry": "registry_list", "power_readings": "power_surge_list"}


@dataclass
class ScreenResult:
    run_id: int
    as_of: dt.date
    out_dir: Path
    verdicts: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)
    run_date: dt.date | None = None
    model: dict = field(default_factory=dict)


class _Timer:
    def __init__(self):
        self.timings: dict[str, float] = {}

    def __call__(self, name: str):
        timer = self

        class _T:
            def __enter__(self):
                log.info("▶ %s …", name)
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                timer.timings[name] = round(time.perf_counter() - self.t0, 3)
                if exc[0] is None:
                    log.info("✔ %s（%.1f 秒）", name, timer.timings[name])

        return _T()


def _latest(con, source: str) -> dt.date | None:
    table, col = _FRESHNESS[source]
    return con.execute(f"SELECT max({col})::DATE FROM {table}").fetchone()[0]


def latest_data_date(con) -> dt.date:
    """The latest date in the data: the end of the power data (daily readings, monthly bills or
    the surge list's period, whichever reaches furthest), else the first of waybills/tracks/
    alarms/tips that has any."""
    power = [d for d in (_latest(con, s) for s in _POWER) if d is not None]
    if power:
        return max(power)
    for source in _FRESHNESS:
        d = _latest(con, source)
        if d is not None:
            return d
    return dt.date.today()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_date_default() -> dt.date:
    """The day a run reports for when none is given: today. Countdowns, 逾期 and the sources'
    freshness follow the calendar, not the data (old data must look old)."""
    return dt.date.today()


_PART = ".part-"      # a run's outputs are written to <out_root>/.<date>.part-<run_id> first


def clean_unfinished_runs(con, out_root: Path) -> list[int]:
    """Remove what runs that never finished left behind: their rows in every table keyed by
    run_id (runs, visit_lists, scores, evidence, …) and leftover temporary out folders. A run
    only counts as a previous run once its outputs are complete and finished_at is set."""
    from pipeline.publish import text

    ids = [r[0] for r in con.execute(
        "SELECT run_id FROM runs WHERE finished_at IS NULL ORDER BY run_id").fetchall()]
    if ids:
        tables = [r[0] for r in con.execute(
            "SELECT DISTINCT table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.column_name = 'run_id' AND t.table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        with transaction(con):
            for t in tables:
                if t != "runs":
                    con.execute(f'DELETE FROM "{t}" WHERE run_id IN (SELECT unnest(?::INTEGER[]))', [ids])
            con.execute("DELETE FROM runs WHERE run_id IN (SELECT unnest(?::INTEGER[]))", [ids])
        log.debug("removed unfinished runs %s from %s", ids, tables)
    leftovers = sorted(p for p in out_root.glob(f".*{_PART}*") if p.is_dir()) if out_root.exists() else []
    for p in leftovers:
        shutil.rmtree(p, ignore_errors=True)
    if ids or leftovers:
        log.info(text.LOG_UNFINISHED.format(runs="、".join(f"第 {i} 次" for i in ids) or "无",
                                            folders=len(leftovers)))
    return ids


def _move_into_place(tmp: Path, final: Path) -> None:
    """Put a complete out folder where the lists belong. An older folder of the same run date
    is moved aside only now that the new one is complete, and removed after the swap."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}{_PART}old-{os.getpid()}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def screen(inbox: Path, db_path: Path, out_root: Path, as_of: dt.date | None = None,
           config_dir: Path = Path("configs"), archive_dir: Path | None = None,
           decisions_dir: Path | None = None, run_date: dt.date | None = None) -> ScreenResult:
    """One weekly run. `as_of` is the data date (signal windows end there); `run_date` is the
    day of the run (which returns count, deadlines, how old each source is), by default today."""
    from pipeline.ingest import ingest_inbox
    from pipeline.learn import estimate_hit_rates, learn
    from pipeline.link import build_premises
    from pipeline.publish import left_the_list, publish_lists
    from pipeline.publish.forms import write_forms
    from pipeline.publish.rejects import write_rejects
    from pipeline.publish.report import deadline_notes, write_report
    from pipeline.score import score_premises
    from pipeline.signals import compute_evidence

    cfg = config_mod.load(config_dir)  # validated before any stage runs
    if decisions_dir is not None:
        cfg.linking["decisions_dir"] = str(decisions_dir)
    timer = _Timer()
    started = dt.datetime.now()
    archive_dir = archive_dir or db_path.parent / "archive"
    con = connect(db_path)
    try:
        with timer("导入（ingest）"):
            verdicts = ingest_inbox(con, inbox, config_dir, archive_dir)   # logs each file's verdict
        if as_of is None:
            as_of = latest_data_date(con)
        if run_date is None:
            run_date = run_date_default()
        ensure_runs_table(con)
        clean_unfinished_runs(con, out_root)
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()[0]
        out_dir = out_root / run_date.isoformat()
        # Everything is written to a temporary folder beside the final one and moved into
        # place when complete: a crash never leaves a half-written folder under the run date.
        work_dir = out_root / f".{run_date.isoformat()}{_PART}{run_id}"
        if work_dir.exists():
            shutil.rmtree(work_dir)
        with transaction(con):
            with timer("场所归并（link）"):
                link_counts = build_premises(con, cfg)
            with timer("信号（signals）"):
                fired = compute_evidence(con, cfg, run_id, as_of)
            with timer("评分（score）"):
                score_premises(con, cfg, run_id, as_of)
            with timer("学习（learn）"):
                model = learn(con, cfg, run_id, run_date)
            batch_ids = [r[0] for r in con.execute("SELECT batch_id FROM batches ORDER BY 1").fetchall()]
            con.execute(
                "INSERT INTO runs (run_id, started_at, finished_at, as_of, config_hash, batch_ids, out_dir, version, "
                "run_date) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                [run_id, started, as_of, cfg.digest, batch_ids, str(out_dir), __version__, run_date],
            )
        freshness = _freshness(con, run_date)
        with timer("输出清单（publish）"):
            lists = publish_lists(con, cfg, run_id, work_dir,
                                  deadline_notes(cfg, run_date) + _source_notes(freshness, cfg), run_date)
            left = left_the_list(con, cfg, run_id, run_date)
            estimates = estimate_hit_rates(con, run_id)
            forms = write_forms(con, cfg, work_dir, run_date, unit_name=cfg.campaign.get("subdistrict", "灵源街道"),
                                run_id=run_id)
            rejects_file = write_rejects(con, cfg, run_id, work_dir, run_date)  # 拒收明细.xlsx (after the forms' warnings)
            write_report(con, cfg, run_id, as_of, work_dir, freshness, lists, left, _source_notes(freshness, cfg),
                         run_date=run_date, model=model, estimates=estimates)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _COUNTED}
        manifest = {
            "run_id": run_id,
            "version": __version__,
            "started_at": started.isoformat(timespec="seconds"),
            "as_of": as_of.isoformat(),
            "run_date": run_date.isoformat(),
            "config_hash": cfg.digest,
            "config_files": {str(p.relative_to(config_dir)): sha256_file(p)
                             for p in sorted(Path(config_dir).rglob("*.yaml"))},
            "inputs": _inputs(con),
            "this_run_files": [asdict(v) for v in verdicts],
            "source_freshness": freshness,
            "left_the_list": left,
            "forms": forms,
            "row_counts": counts,
            "link": link_counts,
            "signals_fired": fired,
            "model": model,
            "hit_rate_estimates": estimates,
            "list_rows": lists,
            "timings_s": timer.timings,
            "peak_rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        }
        (work_dir / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        _move_into_place(work_dir, out_dir)
        from pipeline.publish import text
        # named only now: during publish the lists sit in the temporary .part folder
        log.info(text.LOG_PUBLISHED.format(n=sum(lists.values()), lists=len(lists), out=out_dir))
        # Only now is this run complete, and so a previous run for the next one.
        con.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", [dt.datetime.now(), run_id])
        return ScreenResult(run_id, as_of, out_dir, verdicts, counts, lists, run_date=run_date, model=model)
    finally:
        con.close()


def _inputs(con) -> list[dict]:
    rows = con.execute(
        "SELECT batch_id, source, file_name, sha256, rows_read, rows_loaded, rows_rejected, loaded_at "
        "FROM batches ORDER BY batch_id"
    ).fetchall()
    keys = ("batch_id", "source", "file", "sha256", "rows_read", "rows_loaded", "rows_rejected", "loaded_at")
    return [dict(zip(keys, r)) for r in rows]


def _source_notes(freshness: dict, cfg) -> list[str]:
    """Plain-Chinese lines on missing and stale sources, for the lists' 说明 sheet."""
    from pipeline.publish import text

    max_age = int(cfg.scoring.get("stale_after_days", 14))
    notes = []
    for source, f in freshness.items():
        if source == "outcomes":
            continue                  # inspectors' returns are not a screening source
        label = text.SOURCE_LABELS.get(source, source)
        by = _STANDS_IN.get(source)
        if f["missing"] and by and not freshness.get(by, {"missing": True})["missing"]:
            notes.append(text.STOOD_IN.format(label=label, by=text.SOURCE_LABELS.get(by, by),
                                              what=text.STOOD_IN_WHAT.get(source, "")).replace("（）", ""))
        elif f["missing"]:
            if source in _STANDS_IN.values():
                continue              # an office's own list is an extra, not a gap
            notes.append(text.MISSING_SOURCE.format(label=label))
        elif f.get("age_days") is not None and f["age_days"] > max_age:
            notes.append(text.STALE_SOURCE.format(label=label, latest=f["latest"], age=f["age_days"]))
        if source == "power_readings" and f.get("monthly_only"):
            notes.append(text.MONTHLY_ONLY)
    return notes


def _freshness(con, as_of: dt.date) -> dict:
    """Which sources are present and how old their newest record is, in days."""
    from pipeline.ingest import SOURCES

    out = {}
    for source in SOURCES:
        n = con.execute(f"SELECT count(*) FROM stg_{source}").fetchone()[0]
        entry = {"rows": n, "missing": n == 0}
        if source in _FRESHNESS and n:
            last = _latest(con, source)
            entry.update(latest=str(last), age_days=(as_of - last).days if last else None)
        if source == "power_readings" and n:
            entry["monthly_only"] = not con.execute(
                "SELECT count(*) FROM stg_power_readings WHERE period = 'day'").fetchone()[0]
        out[source] = entry
    return out
