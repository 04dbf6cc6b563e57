"""Ingest stage: office exports (CSV/XLSX, any encoding, messy) → batches, rejects, stg_*.

Entry points (the contract other stages call):
  ingest_files(con, source, files, config_dir, archive_dir) -> list[FileVerdict]
  ingest_inbox(con, inbox, config_dir, archive_dir)         -> list[FileVerdict]
  load_source_configs(config_dir) / validate_source_configs(config_dir)
  SOURCES  — the sources in load order
Each file is one transaction: a refused file leaves the database as it was.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.errors import UserError
from pipeline.ingest.config import SOURCES, SourceConfig, load_source_configs, validate_source_configs
from pipeline.ingest.engine import FileVerdict, ensure_schema, load_file

log = logging.getLogger(__name__)

INBOX_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls"}

__all__ = [
    "SOURCES", "FileVerdict", "SourceConfig", "ingest_files", "ingest_inbox",
    "load_source_configs", "validate_source_configs",
]


def ingest_files(con, source: str, files: list[Path], config_dir: Path = Path("configs"),
                 archive_dir: Path | None = Path("data/archive")) -> list[FileVerdict]:
    """Load files of one source, one transaction per file; verdicts in the given order."""
    from pipeline.ingest.sources import RULES

    if source not in SOURCES:
        raise UserError(f"未知的数据源 {source}（可用：{'、'.join(SOURCES)}）")
    cfg = load_source_configs(config_dir)[source]
    ensure_schema(con)
    return [load_file(con, cfg, RULES[source], Path(f), archive_dir) for f in files]


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
