"""Ingest stage: office exports (CSV/XLSX, any encoding, messy) → batches, rejects, stg_*.

Entry points (the contract other stages call):
  ingest_files(con, source, files, config_dir, archive_dir) -> list[FileVerdict]
  ingest_inbox(con, inbox, config_dir, archive_dir)         -> list[FileVerdict]
  check_file(source, path, config_dir)                      -> FileVerdict (nothing stored)
  ensure_schema(con)  — batches, rejects and every stg_* table, empty where no file came yet
  load_source_configs(config_dir) / validate_source_configs(config_dir)
  SOURCES  — the sources in load order
Each file is one transaction: a refused file leaves the database as it was.

The inbox is <inbox>/<source>/<file>. Anything else in it is refused with a Chinese line
saying what to do (a file in the inbox root, a sub-folder, an unknown folder, a file that
is not CSV/Excel); so is every symlink (never followed: it could point anywhere on the
machine) and every name with a control character (it would forge log lines). Hidden files
(.DS_Store, Excel's ~$ lock files) are skipped silently.

Memory: DuckDB's own default limit is 80 % of the machine's RAM; ingest holds it to
memory_fraction of RAM (configs/ingest.yaml, 0.4). On a small machine, or
next to other work, set CHEMSIEVE_MEMORY_LIMIT (e.g. "3GB") or pass memory_limit=; the
limit holds while ingest_files runs (DuckDB spills to disk beyond it) and the
connection's previous limit is restored afterwards.
"""

from __future__ import annotations

import logging
import os
import stat
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.errors import UserError
from pipeline.ingest.config import SOURCES, SourceConfig, load_source_configs, validate_source_configs
from pipeline.ingest.engine import FileVerdict, ensure_schema, load_file, verdict_message
from pipeline.ingest.names import name_problem, shown

log = logging.getLogger(__name__)

INBOX_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls"}
#: rejects listed under a verdict by `ingest` / `ingest --check`
SHOWN_REJECTS = 10
MEMORY_LIMIT_ENV = "CHEMSIEVE_MEMORY_LIMIT"

__all__ = [
    "SOURCES", "FileVerdict", "SourceConfig", "check_file", "ensure_schema", "ingest_files", "ingest_inbox",
    "load_source_configs", "reject_lines", "validate_source_configs",
]


@contextmanager
def _memory_limit(con, limit: str | None = None, fraction: float = 0.4):
    """DuckDB memory_limit = `limit` (default: $CHEMSIEVE_MEMORY_LIMIT, else `fraction`
    of the machine's RAM) inside the block."""
    limit = limit or os.environ.get(MEMORY_LIMIT_ENV) or None
    if not limit:
        # DuckDB's own default is 80 % of RAM, and the reader's Python side (calamine,
        # Arrow buffers) comes on top: by default hold DuckDB to `fraction` of RAM
        # (configs/ingest.yaml memory_fraction), beyond which it spills to disk
        import psutil
        limit = f"{max(256, int(psutil.virtual_memory().total * fraction) >> 20)}MB"
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
        raise UserError(f"未知的数据源 {shown(source)}（可用：{'、'.join(SOURCES)}）")
    cfg = load_source_configs(config_dir)[source]
    ensure_schema(con)
    out = []
    with _memory_limit(con, memory_limit, cfg.limits.memory_fraction):
        for f in map(Path, files):
            problem = name_problem(f.name)
            out.append(_refused(f.name, source, problem) if problem
                       else load_file(con, cfg, RULES[source], f, archive_dir))
    if source == "tips":
        # rows stored before masking existed (and any reject value of a tips file)
        from pipeline.ingest.mask import remask_stored
        remask_stored(con)
    return out


def _refused(name: str, source: str, reason: str) -> FileVerdict:
    msg = f"{shown(name)}：未导入——{reason}"
    log.warning(msg)
    return FileVerdict(name, source, "refused", message=msg)


def _folders_hint() -> str:
    return "、".join(f"{s}/" for s in SOURCES)


def _walk_inbox(inbox: Path) -> tuple[list[FileVerdict], dict[str, list[Path]]]:
    """(refusals, files per source) of `inbox`. Entries are looked at with lstat, so a
    symlink is seen as a symlink and never followed; entries in name order."""
    root = inbox.resolve()
    refused: list[FileVerdict] = []
    files: dict[str, list[Path]] = {}

    def entries(d: Path):
        try:
            with os.scandir(d) as it:
                found = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            refused.append(_refused(str(d.relative_to(inbox)) if d != inbox else str(d), "inbox",
                                    f"文件夹无法读取（{exc.strerror or type(exc).__name__}）"))
            return []
        out = []
        for e in found:
            if e.name.startswith((".", "~$")):
                log.debug("inbox: skipping hidden entry %r", e.name)
                continue
            try:
                out.append((e, e.stat(follow_symlinks=False).st_mode))
            except OSError:
                continue                     # vanished while we looked
        return out

    def inside(p: Path) -> bool:
        try:
            return p.resolve().is_relative_to(root)
        except (OSError, RuntimeError):
            return False

    for e, mode in entries(inbox):
        where = e.name
        problem = name_problem(e.name)
        if problem:
            refused.append(_refused(where, "inbox", problem))
        elif stat.S_ISLNK(mode):
            refused.append(_refused(where, "inbox", "这是一个符号链接（快捷方式），为安全起见不跟随读取；"
                                                    "请把文件本身放进收件箱对应来源的文件夹"))
        elif stat.S_ISDIR(mode) and e.name not in SOURCES:
            msg = (f"收件箱中的文件夹 {shown(e.name)} 不是已知的数据源（可用：{'、'.join(SOURCES)}），已忽略")
            log.warning(msg)
            refused.append(FileVerdict(e.name, e.name, "refused", message=msg))
        elif stat.S_ISDIR(mode):
            files[e.name] = []
            for f, fmode in entries(Path(e.path)):
                where = f"{e.name}/{f.name}"
                problem = name_problem(f.name)
                if problem:
                    refused.append(_refused(where, e.name, problem))
                elif stat.S_ISLNK(fmode):
                    refused.append(_refused(where, e.name, "这是一个符号链接（快捷方式），为安全起见不跟随读取；"
                                                           "请把文件本身放进这个文件夹"))
                elif stat.S_ISDIR(fmode):
                    refused.append(_refused(where, e.name, f"子文件夹中的文件不导入：请把要导入的文件直接放在 "
                                                           f"{e.name}/ 下，不要再建文件夹"))
                elif not stat.S_ISREG(fmode):
                    refused.append(_refused(where, e.name, "不是普通文件（可能是设备或管道），未读取"))
                elif Path(f.name).suffix.lower() not in INBOX_SUFFIXES:
                    refused.append(_refused(where, e.name, "不是表格文件：只导入 CSV（.csv/.txt）和 Excel（.xlsx/.xls）文件"))
                elif not inside(Path(f.path)):
                    refused.append(_refused(where, e.name, "文件实际位置在收件箱之外，为安全起见不读取"))
                else:
                    files[e.name].append(Path(f.path))
        else:
            # a file in the inbox root: which source it is must be told by its folder
            refused.append(_refused(where, "inbox", f"文件放在了收件箱根目录，系统不知道它属于哪个来源；请放进对应来源的"
                                                    f"文件夹（{_folders_hint()}）后再运行"))
    return refused, files


def ingest_inbox(con, inbox: Path, config_dir: Path = Path("configs"),
                 archive_dir: Path | None = Path("data/archive")) -> list[FileVerdict]:
    """Walk <inbox>/<source>/* in source order, files sorted by name. Refusals (see the
    module docstring) come first, in name order. Every stg_* table exists afterwards, also
    when nothing could be loaded: the stages after ingest read them all."""
    inbox = Path(inbox)
    ensure_schema(con)
    verdicts: list[FileVerdict] = []
    if not inbox.is_dir():
        return verdicts
    refused, files = _walk_inbox(inbox)
    verdicts += refused
    for source in SOURCES:
        if files.get(source):
            verdicts += ingest_files(con, source, files[source], config_dir, archive_dir)
    return verdicts


def reject_lines(con, batch_id: int, limit: int = SHOWN_REJECTS) -> list[str]:
    """The first `limit` rejects/warnings of a batch as Chinese lines (row as Excel shows it,
    column, value, reason), and a last line saying how many more there are."""
    rows = con.execute(
        'SELECT src_row, "column", value, reason, severity FROM rejects WHERE batch_id = ? '
        'ORDER BY src_row, severity, "column", reason LIMIT ?', [batch_id, limit + 1]).fetchall()
    total = con.execute("SELECT count(*) FROM rejects WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
    lines = []
    for row, col, value, reason, severity in rows[:limit]:
        v = "（空）" if value is None or str(value).strip() == "" else f"“{_clip(shown(value), 40)}”"
        kind = "拒收" if severity == "reject" else "警告"
        lines.append(f"  {kind}：第 {row} 行，{shown(col or '')} 列，值 {v}：{reason}")
    if total > limit:
        lines.append(f"  ……另有 {total - limit} 条未列出")
    return lines


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + "…"


def check_file(source: str, path: Path, config_dir: Path = Path("configs"),
               limit: int = SHOWN_REJECTS) -> FileVerdict:
    """The verdict `ingest` would give `path`, without storing anything: the file is read and
    cleaned in a private in-memory DuckDB that is thrown away, nothing is archived and the
    warehouse is never opened. The verdict's `message` is the check-mode line; `details`
    holds the first rejects."""
    from pipeline.db import connect

    con = connect(":memory:")
    try:
        [v] = ingest_files(con, source, [Path(path)], config_dir, archive_dir=None)
        if v.status == "loaded":
            v.message = verdict_message(v, check=True)
            v.details = reject_lines(con, v.batch_id, limit)
            v.batch_id = None                     # no batch was stored
    finally:
        con.close()
    return v
