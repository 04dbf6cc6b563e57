"""Shared helpers of the bench/drill_*.py scripts (not part of the test suite, not in CI).

The drills drive the real command line (`python -m pipeline ...`) in child processes, from
the project root, so that what is measured is what a clerk runs. These helpers run such a
child with limits (timeout, optional RLIMIT_AS) while polling its peak RSS, and read a
warehouse's state back (batches, staged rows per source, runs) for the checks.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psutil

from pipeline.screen import sha256_file

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SOURCES = ("registry", "licenses", "power_accounts", "power_readings", "waybills", "tracks",
           "tips", "sites", "outcomes")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Output files that carry wall-clock facts by design (start time, timings, RSS): not compared.
NOT_COMPARED = {"manifest.json"}


@dataclass
class Child:
    rc: int | None              # None: killed by us on timeout
    wall_s: float
    peak_rss_mb: float
    out: str                    # stdout + stderr
    timed_out: bool = False
    killed_at_s: float | None = None
    pid: int = 0
    extra: dict = field(default_factory=dict)


def pipeline_cmd(*args: str) -> list[str]:
    return [PY, "-m", "pipeline", *map(str, args)]


def _limit_as(bytes_: int | None):
    if not bytes_:
        return None

    def pre():
        resource.setrlimit(resource.RLIMIT_AS, (bytes_, bytes_))
    return pre


def _rss_tree(p: psutil.Process) -> int:
    try:
        total = p.memory_info().rss
        for c in p.children(recursive=True):
            try:
                total += c.memory_info().rss
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0


def run_child(cmd: list[str], log_path: Path | None = None, timeout_s: float = 600,
              kill_after_s: float | None = None, rlimit_as: int | None = None,
              poll_s: float = 0.05, env: dict | None = None) -> Child:
    """Run cmd from the project root; poll peak RSS; SIGKILL it at kill_after_s (the kill
    drill) or at timeout_s (a hung child must never take the machine down)."""
    log_path = log_path or Path(os.devnull)
    t0 = time.monotonic()
    with open(log_path, "wb") as fh:
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                             preexec_fn=_limit_as(rlimit_as), env=env or _child_env())
        ps = psutil.Process(p.pid)
        peak, killed_at, timed_out = 0, None, False
        while True:
            rc = p.poll()
            if rc is not None:
                break
            now = time.monotonic() - t0
            if kill_after_s is not None and now >= kill_after_s:
                os.kill(p.pid, 9)
                killed_at = now
                rc = p.wait()
                break
            if now >= timeout_s:
                os.kill(p.pid, 9)
                timed_out = True
                rc = p.wait()
                break
            peak = max(peak, _rss_tree(ps))
            # sleep less when the kill moment is close, so it lands where it was drawn
            nap = poll_s if kill_after_s is None else max(0.0, min(poll_s, kill_after_s - now))
            time.sleep(nap)
    wall = time.monotonic() - t0
    out = "" if str(log_path) == os.devnull else Path(log_path).read_text("utf-8", errors="replace")
    return Child(rc=None if timed_out else rc, wall_s=wall, peak_rss_mb=peak / 2**20, out=out,
                 timed_out=timed_out, killed_at_s=killed_at, pid=p.pid)


def _child_env() -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def simulate_world(out: Path, seed: int = 7, scale: str = "tiny") -> Path:
    """A simulated subdistrict under out/ (reused when present)."""
    if not (out / "truth").exists():
        if out.exists():
            shutil.rmtree(out)
        r = subprocess.run(pipeline_cmd("simulate", "--scale", scale, "--seed", seed, "--out", out),
                           cwd=ROOT, capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"simulate failed: {r.stdout}{r.stderr}")
    return out


def start_drill(work: Path, world_seed: int) -> tuple[Path, Path, float, Path]:
    """(work, logs, start time, world): a fresh logs folder under `work` and the tiny world."""
    work = work.resolve()
    logs = work / "logs"
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    t_start = time.monotonic()
    return work, logs, t_start, simulate_world(work / f"world-{world_seed}", seed=world_seed)


def screen_cmd(inbox: Path, wdir: Path, date: str) -> list[str]:
    """screen with everything under wdir (db, archive beside it, out, decisions)."""
    return pipeline_cmd("screen", "--inbox", inbox, "--db", wdir / "wh.duckdb", "--out", wdir / "out",
                        "--decisions", wdir / "dec", "--date", date)


sha256 = sha256_file      # the manifest's own file hash


def xlsx_without_core(path: Path) -> str:
    """Digest of an XLSX's members except docProps/core.xml (created/modified = wall clock)."""
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for n in sorted(z.namelist()):
            if n != "docProps/core.xml":
                h.update(n.encode() + b"\0" + z.read(n))
    return h.hexdigest()


def list_digests(out_dir: Path) -> dict[str, tuple[str, str]]:
    """file name → (sha256 of bytes, content digest: xlsx without core.xml, else bytes)."""
    res = {}
    if not out_dir.is_dir():
        return res
    for p in sorted(out_dir.iterdir()):
        if p.name in NOT_COMPARED or not p.is_file():
            continue
        b = sha256(p)
        res[p.name] = (b, xlsx_without_core(p) if p.suffix == ".xlsx" else b)
    return res


def compare_lists(ref: dict, got: dict) -> tuple[list[str], list[str]]:
    """(files differing in content or missing/extra, xlsx files differing only by core.xml)."""
    bad, stamp_only = [], []
    for name in sorted(set(ref) | set(got)):
        if name not in ref or name not in got:
            bad.append(name)
        elif ref[name][0] != got[name][0]:
            (stamp_only if ref[name][1] == got[name][1] else bad).append(name)
    return bad, stamp_only


def open_ok(db: Path) -> str | None:
    """None when the warehouse opens read-write (WAL replayed), else the error."""
    try:
        con = duckdb.connect(str(db))
        con.execute("SELECT 1").fetchall()
        con.close()
        return None
    except Exception as exc:  # noqa: BLE001 — any failure to open is the fault we report
        return f"{type(exc).__name__}: {exc}"[:300]


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def warehouse_state(db: Path) -> dict:
    """Batches, staged rows per source and per batch, runs — what the checks compare."""
    st = {"batches": [], "stg": {}, "stg_by_batch": {}, "runs": [], "orphans": 0}
    if not db.exists():
        return st
    con = duckdb.connect(str(db), read_only=True)
    try:
        t = _tables(con)
        if "batches" in t:
            st["batches"] = con.execute(
                "SELECT batch_id, source, sha256, rows_loaded, rows_rejected, coalesce(rows_replaced, 0), "
                "archived_path FROM batches ORDER BY batch_id").fetchall()
        ids = {b[0] for b in st["batches"]}
        for s in SOURCES:
            if f"stg_{s}" in t:
                st["stg"][s] = con.execute(f"SELECT count(*) FROM stg_{s}").fetchone()[0]
                for bid, n in con.execute(f"SELECT batch_id, count(*) FROM stg_{s} GROUP BY 1").fetchall():
                    st["stg_by_batch"][bid] = n
                    if bid not in ids:
                        st["orphans"] += n
        if "runs" in t:
            st["runs"] = con.execute("SELECT run_id, finished_at IS NOT NULL, run_date::VARCHAR "
                                     "FROM runs ORDER BY run_id").fetchall()
    finally:
        con.close()
    return st


def batch_faults(st: dict) -> list[str]:
    """A batch is whole when its source's staged rows add up: per source, Σ rows_loaded −
    Σ rows_replaced = staged rows; per batch, staged ≤ rows_loaded; no staged row without
    its batch. Any other count is a half-loaded (or half-replaced) batch."""
    faults = []
    if st["orphans"]:
        faults.append(f"{st['orphans']} staged rows without a batch")
    by_src: dict[str, list] = {}
    for b in st["batches"]:
        by_src.setdefault(b[1], []).append(b)
    for s, bs in by_src.items():
        expect = sum(b[3] or 0 for b in bs) - sum(b[5] or 0 for b in bs)
        if s in st["stg"] and st["stg"][s] != expect:
            faults.append(f"{s}: staged {st['stg'][s]} ≠ loaded−replaced {expect}")
        for b in bs:
            if st["stg_by_batch"].get(b[0], 0) > (b[3] or 0):
                faults.append(f"batch {b[0]} ({s}) has more staged rows than rows_loaded")
    shas = [(b[1], b[2]) for b in st["batches"]]
    if len(shas) != len(set(shas)):
        faults.append("the same file was loaded twice")
    return faults


def rows_lost(ref: dict, got: dict) -> tuple[int, int]:
    """(rows lost, rows extra) of staged rows per source against the reference state."""
    lost = extra = 0
    for s in set(ref["stg"]) | set(got["stg"]):
        a, b = ref["stg"].get(s, 0), got["stg"].get(s, 0)
        lost += max(0, a - b)
        extra += max(0, b - a)
    return lost, extra


def batch_files(st: dict) -> list[tuple]:
    """(source, sha256, rows_loaded, rows_rejected) per batch, order-free."""
    return sorted((b[1], b[2], b[3], b[4]) for b in st["batches"])


def fmt_table(rows: list[list], head: list[str]) -> str:
    """A plain fixed-width table (CJK counted as two columns)."""
    def w(s):
        return sum(2 if CJK.match(ch) or "\uff00" <= ch <= "\uffef" else 1 for ch in str(s))
    cols = [max(w(h), *(w(r[i]) for r in rows)) if rows else w(h) for i, h in enumerate(head)]
    buf = io.StringIO()
    for r in [head] + rows:
        buf.write("  ".join(str(c) + " " * (cols[i] - w(c)) for i, c in enumerate(r)).rstrip() + "\n")
    return buf.getvalue()
