"""Concurrent-writer drill: 16 screen / ingest processes started at once on one warehouse.

Not a test and not in CI; see bench/README.md.

Each trial starts 16 writers together on the same warehouse: 4 `screen` of the whole inbox
and 12 `ingest <source> <file>` of the inbox's files (a different rotation each trial).
Even trials start from an empty folder (the writers race to create the warehouse), odd
trials from a warehouse where week 1 is complete. While they run, the drill polls which
processes hold the warehouse file open (/proc/<pid>/fd via psutil).

Checks per trial:
  overlap     never two writers that went on to succeed holding the warehouse at once
  refusal     every writer that did not succeed exits rc ≠ 0 with a Chinese message naming
              the warehouse in use, and no traceback (anything else is `unclean_refusal`)
  open        the warehouse opens afterwards; `half_batch` as in drill_kill.py; no run left
              without finished_at (`unfinished`)
  lost        the refused writers are then rerun one after another (each must exit 0); the
              loaded files and staged rows per source must equal a single uninterrupted
              screen's (`rows_lost` = 0)

Run from the project root:
    .venv/bin/python bench/drill_writers.py [--trials 6] [--writers 16]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drill_common import (CJK, ROOT, _child_env, batch_faults, batch_files, fmt_table, open_ok,  # noqa: E402
                          pipeline_cmd, rows_lost, run_child, screen_cmd, start_drill, warehouse_state)

W1, W2 = "2021-07-05", "2021-07-12"
LOCK_WORDS = ("正被", "使用")


def writers(inbox: Path, wdir: Path, date: str, n: int, n_screen: int, rot: int) -> list[tuple[str, list]]:
    files = sorted((p.parent.name, p) for p in inbox.glob("*/*") if p.is_file())
    cmds = [("screen", screen_cmd(inbox, wdir, date)) for _ in range(n_screen)]
    for i in range(n - n_screen):
        src, f = files[(rot + i) % len(files)]
        cmds.append((f"ingest {src}", pipeline_cmd("ingest", src, f, "--db", wdir / "wh.duckdb")))
    # interleave so that screens and ingests start mixed
    return cmds[::2] + cmds[1::2]


def burst(cmds: list[tuple[str, list]], db: Path, logs: Path, tag: str, timeout_s: float = 300) -> list[dict]:
    """Start all at once; poll who holds the warehouse open until all have exited."""
    procs = []
    env = _child_env()
    for i, (kind, cmd) in enumerate(cmds):
        fh = open(logs / f"{tag}-{i:02d}.log", "wb")
        procs.append({"kind": kind, "cmd": cmd, "fh": fh, "i": i, "t0": time.monotonic(),
                      "p": subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env)})
    holders_seen = []               # per poll: the set of process indices holding db open
    dbs = {str(db), str(db) + ".wal"}
    t0 = time.monotonic()
    while any(x["p"].poll() is None for x in procs):
        if time.monotonic() - t0 > timeout_s:
            for x in procs:
                if x["p"].poll() is None:
                    os.kill(x["p"].pid, 9)
            break
        now = set()
        for x in procs:
            if x["p"].poll() is None:
                try:
                    if any(f.path in dbs for f in psutil.Process(x["p"].pid).open_files()):
                        now.add(x["i"])
                except psutil.Error:
                    pass
        if now:
            holders_seen.append(now)
        time.sleep(0.02)
    out = []
    for x in procs:
        x["p"].wait()
        x["fh"].close()
        text = (logs / f"{tag}-{x['i']:02d}.log").read_text("utf-8", errors="replace")
        out.append({"i": x["i"], "kind": x["kind"], "cmd": x["cmd"], "rc": x["p"].returncode, "out": text})
    ok = {r["i"] for r in out if r["rc"] == 0}
    overlaps = sum(1 for s in holders_seen if len(s & ok) > 1)
    return out, overlaps, len(holders_seen)


def classify(r: dict) -> str:
    if r["rc"] == 0:
        return "succeeded"
    text = r["out"]
    if "Traceback" in text:
        return "unclean_refusal"
    if all(w in text for w in LOCK_WORDS) and CJK.search(text):
        return "refused"
    return "other_error"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=6)
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--screens", type=int, default=4, help="how many of the writers are screen (rest ingest)")
    ap.add_argument("--world-seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=ROOT / "data/bench/drill-writers")
    a = ap.parse_args()
    work, logs, t_start, world = start_drill(a.work, a.world_seed)
    inbox = world / "inbox"
    trial = work / "t"

    # reference: one uninterrupted screen (week 1), kept as the start of the odd trials
    if trial.exists():
        shutil.rmtree(trial)
    c = run_child(screen_cmd(inbox, trial, W1), logs / "reference.log")
    if c.rc != 0:
        sys.exit(f"reference screen failed, see {logs / 'reference.log'}")
    ref = warehouse_state(trial / "wh.duckdb")
    week1 = work / "week1"
    if week1.exists():
        shutil.rmtree(week1)
    shutil.copytree(trial, week1)
    print(f"drill_writers: world {world.name}, {a.trials} trials × {a.writers} writers "
          f"({a.screens} screen, {a.writers - a.screens} ingest)")

    rows, faults, kinds_all = [], Counter(), Counter()
    total_lost = 0
    for t in range(a.trials):
        tag = f"t{t:02d}"
        if trial.exists():
            shutil.rmtree(trial)
        start = "empty" if t % 2 == 0 else "week 1 done"
        if t % 2:
            shutil.copytree(week1, trial)
        else:
            trial.mkdir(parents=True)
        db = trial / "wh.duckdb"
        cmds = writers(inbox, trial, W1 if t % 2 == 0 else W2, a.writers, a.screens, rot=t * 5)
        res, overlaps, polls_held = burst(cmds, db, logs, tag)
        kinds = Counter(classify(r) for r in res)
        kinds_all.update(kinds)
        f = Counter()
        if overlaps:
            f["overlap"] += overlaps
        f["unclean_refusal"] += kinds.get("unclean_refusal", 0)
        f["other_error"] += kinds.get("other_error", 0)
        err = open_ok(db)
        lost = None
        if err:
            f["open"] += 1
            print(f"  {tag}: warehouse does not open: {err}")
        else:
            st = warehouse_state(db)
            f["half_batch"] += len(batch_faults(st))
            f["unfinished"] += sum(1 for x in st["runs"] if not x[1])
            # nothing lost: the refused writers, one after another, then compare
            for r in res:
                if r["rc"] != 0:
                    again = run_child(r["cmd"], logs / f"{tag}-{r['i']:02d}-again.log")
                    if again.rc != 0:
                        f["retry_failed"] += 1
            st = warehouse_state(db)
            f["half_batch"] += len(batch_faults(st))
            lost, extra = rows_lost(ref, st)
            total_lost += lost
            if lost or extra:
                f["rows_lost"] += 1
            if batch_files(st) != batch_files(ref):
                f["batches"] += 1
        faults.update({k: v for k, v in f.items() if v})
        rows.append([tag, start, kinds.get("succeeded", 0), kinds.get("refused", 0),
                     kinds.get("unclean_refusal", 0) + kinds.get("other_error", 0),
                     sum(v for v in f.values()), "—" if lost is None else lost])
        print(f"  {tag} ({start}): " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
              + f"; warehouse seen held in {polls_held} polls"
              + (f"; faults {dict(f)}" if sum(f.values()) else "; no fault"), flush=True)
        for r in res:
            if classify(r) in ("unclean_refusal", "other_error"):
                print(f"    writer {r['i']} ({r['kind']}) rc {r['rc']}: {r['out'].strip()[-300:]}")

    print("\n" + fmt_table(rows, ["trial", "start", "succeeded", "refused cleanly", "unclean/other",
                                  "faults", "rows lost"]), end="")
    refused = kinds_all.get("refused", 0)
    sample = next((r for r in (res or []) if classify(r) == "refused"), None)
    print(f"total: {a.trials} trials, {a.trials * a.writers} writers, succeeded {kinds_all.get('succeeded', 0)}, "
          f"refused cleanly {refused}, faults " + (", ".join(f"{k} {v}" for k, v in faults.items()) or "0")
          + f", rows lost {total_lost}")
    if sample:
        print("refusal as printed: " + sample["out"].strip().splitlines()[-1])
    print(f"elapsed {time.monotonic() - t_start:.0f} s; logs in {logs}")
    return 1 if faults or total_lost else 0


if __name__ == "__main__":
    sys.exit(main())
