"""The one embedded DuckDB database, opened with clear errors for the user."""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.errors import UserError

log = logging.getLogger(__name__)

DEFAULT_DB = Path("data/warehouse.duckdb")

_PID = re.compile(r"PID (\d+)")


def owner_only_umask() -> None:
    """Add 077 to the process umask (never loosen it): from now on every file this process
    creates is owner-only. It has to be the umask: DuckDB deletes the WAL at each checkpoint
    and creates a new one at the next write (and spill files in <db>.tmp/), with the
    process umask, so no chmod after the fact could keep them private."""
    old = os.umask(0o077)
    os.umask(old | 0o077)


def restrict_warehouse(path: Path) -> None:
    """The warehouse, its WAL and spill folder owner-only (0600/0700), also when an older
    version or another umask created them world-readable. They hold the reporters of every
    tip in clear (tip_reporters)."""
    for p, mode in ((path, 0o600), (Path(f"{path}.wal"), 0o600), (Path(f"{path}.tmp"), 0o700)):
        try:
            if p.exists() and not p.is_symlink() and (p.stat().st_mode & 0o777) != mode:
                os.chmod(p, mode)
        except OSError as exc:
            log.warning("无法把 %s 设为仅本人可读写（%s），其他用户可能读到其中的举报人信息",
                        p, exc.strerror or type(exc).__name__)


def connect(path: str | Path = DEFAULT_DB, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a second writer gets a plain message, not a traceback.
    A writable warehouse is owner-only, and so is everything this process writes after
    opening it (see owner_only_umask)."""
    path = Path(path)
    private = str(path) != ":memory:" and not read_only
    if private:
        owner_only_umask()
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        msg = str(exc)
        if "lock" in msg.lower():
            m = _PID.search(msg)
            who = f"进程 {m.group(1)}" if m else "另一个程序"
            raise UserError(
                f"数据库 {path} 正被{who}使用（database in use），请等待该程序结束后再运行。"
            ) from None
        raise UserError(f"无法打开数据库 {path}：{msg}") from None
    if private:
        restrict_warehouse(path)
    run_sql_file(con, Path(__file__).with_name("macros.sql"))
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """All-or-nothing: a structural failure leaves the database as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path, params: dict | None = None) -> None:
    """Execute a static .sql file that sits beside its stage. With `params`, statement by
    statement (split at ';' ending a line), each bound to the $names it uses."""
    text = Path(path).read_text(encoding="utf-8")
    if params is None:
        con.execute(text)
        return
    for stmt in filter(str.strip, text.split(";\n")):
        used = set(re.findall(r"\$(\w+)", stmt))
        con.execute(stmt, {k: v for k, v in params.items() if k in used})


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()[0]
    )


RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, as_of DATE,
    config_hash VARCHAR, batch_ids INTEGER[], out_dir VARCHAR, version VARCHAR
);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS run_date DATE;
"""


def ensure_runs_table(con) -> None:
    """`runs`: one row per screening run (as_of = data date, run_date = day of the run)."""
    for stmt in filter(str.strip, RUNS_DDL.split(";")):
        con.execute(stmt)
