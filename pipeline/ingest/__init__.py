"""Ingest stage: office exports (CSV/XLSX, any encoding, messy) → batches, rejects, stg_*.

Entry points (the contract other stages call):
  ingest_files(con, source, files, config_dir, archive_dir) -> list[FileVerdict]
  ingest_inbox(con, inbox, config_dir, archive_dir)         -> list[FileVerdict]
  load_source_configs(config_dir) / validate_source_configs(config_dir)
  SOURCES  — the sources in load order
Each file is one transaction: a refused file leaves the database as it was.

Memory: DuckDB's own default limit is 80 % of the machine's RAM. On a small machine, or
next to other work, set CHEMSIEVE_MEMORY_LIMIT (e.g. "3GB") or pass memory_limit=; the
limit holds while ingest_files runs (DuckDB spills to disk beyond it) and the
connection's previous limit is restored afterwards.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.errors import UserError
from pipeline.ingest.config import SOURCES, SourceConfig, load_source_configs, validate_source_configs
from pipeline.ingest.engine import FileVerdict, ensure_schema, load_file

log = logging.getLogger(__name__)

INBOX_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls"}
MEMORY_LIMIT_ENV = "CHEMSIEVE_MEMORY_LIMIT"

__all__ = [
    "SOURCES", "FileVerdict", "SourceConfig", "ingest_files", "ingest_inbox",
    "load_source_configs", "validate_source_configs",
]


@contextmanager
def _memory_limit(con, limit: str | None = None):
    """DuckDB memory_limit = `limit` (default: $CHEMSIEVE_MEMORY_LIMIT) inside the block."""
    limit = limit or os.environ.get(MEMORY_LIMIT_ENV) or None
    if not limit:
        yield
        return
    old = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    try:
        con.execute(f"SET memory_limit = '{str(limit).replace(chr(39), '')}'")
    except duckdb.Error:
        raise UserError(f"内存上限 {limit} 无法识别（{MEMORY_LIMIT_ENV}，应写成如 3GB、512MB）") from None
    try:
        yield
    finally:
        # current_setting is rounded: a limit that was DuckDB's default is RESET, not re-SET
        fresh = duckdb.connect()
        default = fresh.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        fresh.close()
        con.execute("RESET memory_limit" if old == default else f"SET memory_limit = '{old}'")


def ingest_files(con, source: str, files: list[Path], config_dir: Path = Path("configs"),
                 archive_dir: Path | None = Path("data/archive"),
                 memory_limit: str | None = None) -> list[FileVerdict]:
    """Load files of one source, one transaction per file; verdicts in the given order."""
    from pipeline.ingest.sources import RULES

    if source not in SOURCES:
        raise UserError(f"未知的数据源 {source}（可用：{'、'.join(SOURCES)}）")
    cfg = load_source_configs(config_dir)[source]
    ensure_schema(con)
    with _memory_limit(con, memory_limit):
        verdicts = [load_file(con, cfg, RULES[source], Path(f), archive_dir) for f in files]
    if source == "tips":
        # rows stored before masking existed (and any reject value of a tips file)
        from pipeline.ingest.mask import remask_stored
        remask_stored(con)
    return verdicts


def ingest_inbox(con, inbox: Path, config_dir: Path = Path("configs"),
                 archive_dir: Path | None = Path("data/archive")) -> list[FileVerdict]:
    """Walk <inbox>/<source>/* in source order, files sorted by name."""
    inbox = Path(inbox)
    verdicts: list[FileVerdict] = []
    if not inbox.is_dir():
        return verdicts
    for d in sorted(p for p in inbox.iterdir() if p.is_dir()):
        if d.name not in SOURCES:
            msg = f"收件箱中的文件夹 {d.name} 不是已知的数据源（可用：{'、'.join(SOURCES)}），已忽略"
            log.warning(msg)
            verdicts.append(FileVerdict(d.name, d.name, "refused", message=msg))
    for source in SOURCES:
        d = inbox / source
        if not d.is_dir():
            continue
        files = sorted((p for p in d.iterdir() if p.is_file() and p.suffix.lower() in INBOX_SUFFIXES),
                       key=lambda p: p.name)
        if files:
            verdicts += ingest_files(con, source, files, config_dir, archive_dir)
    return verdicts
