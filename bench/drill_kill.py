"""kill -9 drill: SIGKILL `python -m pipeline screen` at random moments, rerun, compare.

Not a test and not in CI (it takes minutes); see bench/README.md.

World: a tiny simulated subdistrict (`python -m pipeline simulate --scale tiny`), screened
in a fixed trial folder (<work>/t: wh.duckdb, archive/, out/, dec/) so that every path the
outputs mention is the same in every trial and in the reference.

Week 1: the reference is an uninterrupted screen of the world's inbox with --date W1. Each
trial starts from an empty trial folder, SIGKILLs the screen at a moment drawn uniformly
over the measured duration of the reference run (stratified: one draw in each of the
`trials` equal slices, seed fixed, so the kills cover ingest … publish and the move into
place), then checks the killed state and reruns the same screen to completion. On a shared
machine a run can be faster than the reference: a child that exits before its kill moment
is run again with a kill time drawn within its own duration (at most 3 times; counted as
`redrawn`). A run killed after finished_at was set is complete: its own lists are compared
with the reference, and a difference in the rerun (a second run that day) is the note
`same_day_second_run_differs`.

Week 2: week 1 complete (a snapshot of the reference folder), inspectors' returns for the
week-1 lists in the inbox (`simulate-returns`), screen with --date W2: kills during week 2,
rerun, compare with the uninterrupted week 2 from the same snapshot.

Checks, after each kill (before the rerun):
  open        the warehouse opens read-write (the WAL replays)
  half_batch  every source's staged rows = Σ rows_loaded − Σ rows_replaced of its batches,
              no batch with more staged rows than it loaded, no staged row without batch
and after the rerun:
  rerun_rc    the rerun exits 0
  lists       every output file except manifest.json equals the reference byte for byte
              (XLSX that differ only in docProps/core.xml — the wall-clock created/modified
              stamps — are counted apart as `xlsx_stamp_only`, not as a fault)
  manifest    row_counts, list_rows, left_the_list of the manifest equal the reference's
  unfinished  no run with finished_at NULL, the rerun has the reference's run_id (so no
              unfinished run was kept and taken as last week's), no .part folder left
  batches     the same files loaded with the same row counts; archived copies present
  rows_lost   staged rows per source against the reference (must be 0; extra rows too)

Run from the project root:
    .venv/bin/python bench/drill_kill.py [--trials 60] [--week2-share 0.4] [--seed 10]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drill_common import (ROOT, batch_faults, batch_files, compare_lists, fmt_table, list_digests,  # noqa: E402
                          open_ok, pipeline_cmd, rows_lost, run_child, screen_cmd, start_drill,
                          warehouse_state)

W1, RETURNS, W2 = "2021-07-05", "2021-07-08", "2021-07-12"
STAGE = re.compile(r"▶ (\S+)")
MANIFEST_KEYS = ("row_counts", "list_rows", "left_the_list")


def stage_at_kill(out: str) -> str:
    """The stage the child was in when it died: the last announced one (▶ 导入（ingest） …),
    or `after publish` once publish had finished (manifest, move into place, finished_at)."""
    if "筛查完成" in out:
        return "summary"
    stages = STAGE.findall(out)
    if not stages:
        return "startup"
    last = stages[-1]
    m = re.search(r"（(\w+)）", last)
    name = m.group(1) if m else last
    if name == "publish" and "✔ 输出清单" in out:
        return "after publish"
    return name


def _manifest(out_dir: Path) -> dict:
    p = out_dir / "manifest.json"
    if not p.exists():
        return {}
    m = json.loads(p.read_text("utf-8"))
    return {k: m.get(k) for k in MANIFEST_KEYS}


def reset(trial: Path, snapshot: Path | None) -> None:
    if trial.exists():
        shutil.rmtree(trial)
    if snapshot is None:
        trial.mkdir(parents=True)
    else:
        shutil.copytree(snapshot, trial, symlinks=True)


class Reference:
    def __init__(self, trial: Path, inbox: Path, date: str, snapshot: Path | None, log: Path):
        reset(trial, snapshot)
        c = run_child(screen_cmd(inbox, trial, date), log)
        if c.rc != 0:
            sys.exit(f"reference screen failed (rc {c.rc}), see {log}")
        self.duration = c.wall_s
        self.out_dir = trial / "out" / date
        self.lists = list_digests(self.out_dir)
        self.manifest = _manifest(self.out_dir)
        self.state = warehouse_state(trial / "wh.duckdb")
        self.run_ids = [r[0] for r in self.state["runs"]]
        self.out_names = sorted(p.name for p in (trial / "out").iterdir())


def one_trial(trial: Path, inbox: Path, date: str, snapshot: Path | None, ref: Reference,
              kill_at: float, logs: Path, tag: str, rng: random.Random) -> dict:
    db = trial / "wh.duckdb"
    res = {"tag": tag, "faults": [], "notes": [], "redrawn": 0}
    # The machine is shared: a run can be faster than the reference was. A child that
    # exits before its kill moment was not killed; draw again within that run's own
    # duration (at most 3 times) so that every trial is a kill.
    for attempt in range(4):
        reset(trial, snapshot)
        k = run_child(screen_cmd(inbox, trial, date), logs / f"{tag}-killed.log", kill_after_s=kill_at)
        if k.killed_at_s is not None or attempt == 3:
            break
        res["redrawn"] += 1
        kill_at = rng.uniform(0.0, k.wall_s * 0.97)
    res["kill_at_s"] = round(kill_at, 2)
    if k.killed_at_s is None:
        res["stage"] = "exited before the kill"
        res["notes"].append("finished_before_kill")
        if k.rc != 0:
            res["faults"].append(("killed_rc", f"exited rc {k.rc} before the kill"))
    else:
        res["stage"] = stage_at_kill(k.out)
    err = open_ok(db)
    if err:
        res["faults"].append(("open", err))
        return res
    killed = warehouse_state(db)
    res["faults"] += [("half_batch", f) for f in batch_faults(killed)]
    killed_complete = sum(1 for x in killed["runs"] if x[1]) == len(ref.run_ids)
    if killed_complete:
        # killed after finished_at was set (or not killed at all): the run is complete, so
        # its own lists are what must equal the reference; the rerun is a second run that day
        res["notes"].append("killed_after_finished_at" if k.killed_at_s is not None else "complete")
        bad, _ = compare_lists(ref.lists, list_digests(trial / "out" / date))
        if bad:
            res["faults"].append(("lists", "completed killed run: " + "、".join(bad)))

    r = run_child(screen_cmd(inbox, trial, date), logs / f"{tag}-rerun.log")
    if r.rc != 0:
        res["faults"].append(("rerun_rc", f"rerun rc {r.rc}"))
        return res
    got = warehouse_state(db)
    out_dir = trial / "out" / date          # the same path as the reference's
    bad, stamp = compare_lists(ref.lists, list_digests(out_dir))
    if bad and killed_complete:
        res["notes"].append("same_day_second_run_differs")
        res["same_day_diff"] = bad
    elif bad:
        res["faults"].append(("lists", "、".join(bad)))
    if stamp:
        res["notes"].append("xlsx_stamp_only")
        res["stamp_files"] = stamp
    if _manifest(out_dir) != ref.manifest and not killed_complete:
        res["faults"].append(("manifest", "row_counts/list_rows/left_the_list differ"))
    unfinished = [x[0] for x in got["runs"] if not x[1]]
    if unfinished:
        res["faults"].append(("unfinished", f"runs without finished_at: {unfinished}"))
    if not killed_complete:
        if [x[0] for x in got["runs"]] != ref.run_ids:
            res["faults"].append(("unfinished", f"run ids {[x[0] for x in got['runs']]} ≠ {ref.run_ids}"))
    names = sorted(p.name for p in (trial / "out").iterdir())
    if names != ref.out_names:
        res["faults"].append(("unfinished", f"out folder holds {names}"))
    if batch_files(got) != batch_files(ref.state):
        res["faults"].append(("batches", "loaded files or their row counts differ"))
    missing = [b[6] for b in got["batches"] if b[6] and not Path(b[6]).exists()]
    if missing:
        res["faults"].append(("archive", f"{len(missing)} archived copies missing"))
    res["faults"] += [("half_batch", "after rerun: " + f) for f in batch_faults(got)]
    lost, extra = rows_lost(ref.state, got)
    res["rows_lost"], res["rows_extra"] = lost, extra
    if lost or extra:
        res["faults"].append(("rows_lost", f"lost {lost}, extra {extra}"))
    return res


def kill_times(n: int, duration: float, rng: random.Random) -> list[float]:
    """One uniform draw in each of n equal slices of [0, duration], shuffled."""
    ts = [(i + rng.random()) * duration / n for i in range(n)]
    rng.shuffle(ts)
    return ts


def summarise(name: str, results: list[dict], ref: Reference) -> tuple[int, int]:
    faults = Counter(f[0] for r in results for f in r["faults"])
    stages = Counter(r["stage"] for r in results)
    notes = Counter(n for r in results for n in r["notes"])
    lost = sum(r.get("rows_lost", 0) for r in results)
    bad_trials = sum(1 for r in results if r["faults"])
    kills = sum(1 for r in results if r["stage"] != "exited before the kill")
    print(f"\n{name}: reference run {ref.duration:.1f} s; {len(results)} trials, {kills} kills "
          f"({sum(r['redrawn'] for r in results)} kill times redrawn), trials with a fault {bad_trials}, "
          f"rows lost {lost}, rows extra {sum(r.get('rows_extra', 0) for r in results)}")
    print("  kills by stage:  " + ", ".join(f"{k} {v}" for k, v in stages.most_common()))
    print("  faults by kind:  " + (", ".join(f"{k} {v}" for k, v in faults.most_common()) or "none"))
    print("  notes:           " + (", ".join(f"{k} {v}" for k, v in notes.most_common()) or "none"))
    stamp = sorted({f for r in results for f in r.get("stamp_files", [])})
    if stamp:
        print("  XLSX differing only in docProps/core.xml (wall-clock stamp): " + "、".join(stamp))
    same = sorted({f for r in results for f in r.get("same_day_diff", [])})
    if same:
        print("  a second run the same day changed: " + "、".join(same))
    for r in results:
        for kind, msg in r["faults"]:
            print(f"    {r['tag']} kill at {r['kill_at_s']} s ({r['stage']}): {kind}: {msg}")
    return bad_trials, lost, kills


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=60, help="kills in all (week 1 + week 2), default 60")
    ap.add_argument("--week2-share", type=float, default=0.4, help="share of the kills in week 2")
    ap.add_argument("--seed", type=int, default=10, help="seed of the kill times")
    ap.add_argument("--world-seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=ROOT / "data/bench/drill-kill")
    a = ap.parse_args()
    work, logs, t_start, world = start_drill(a.work, a.world_seed)
    trial = work / "t"
    rng = random.Random(a.seed)
    n2 = round(a.trials * a.week2_share)
    n1 = a.trials - n2

    ref1 = Reference(trial, world / "inbox", W1, None, logs / "ref-week1.log")
    week1 = work / "week1"
    if week1.exists():
        shutil.rmtree(week1)
    shutil.copytree(trial, week1, symlinks=True)
    # week 2's inbox: week 1's files plus the inspectors' returns for the week-1 lists
    inbox2 = work / "inbox-week2"
    if inbox2.exists():
        shutil.rmtree(inbox2)
    shutil.copytree(world / "inbox", inbox2)
    c = run_child(pipeline_cmd("simulate-returns", "--world", world, "--db", week1 / "wh.duckdb",
                               "--lists", week1 / "out" / W1, "--date", RETURNS,
                               "--out", inbox2 / "outcomes" / f"检查结果回报_{RETURNS}.csv"),
                  logs / "returns.log")
    if c.rc != 0:
        sys.exit(f"simulate-returns failed, see {logs / 'returns.log'}")
    ref2 = Reference(trial, inbox2, W2, week1, logs / "ref-week2.log") if n2 else None
    print(f"drill_kill: world {world.name}, reference week 1 {ref1.duration:.1f} s"
          + (f", week 2 {ref2.duration:.1f} s" if ref2 else "") + f"; {n1} + {n2} kills, seed {a.seed}")

    res1 = []
    for i, t in enumerate(kill_times(n1, ref1.duration, rng)):
        res1.append(one_trial(trial, world / "inbox", W1, None, ref1, t, logs, f"w1-{i:02d}", rng))
        print(f"  w1-{i:02d} kill at {t:5.2f} s  {res1[-1]['stage']:<22} "
              f"{'FAULT' if res1[-1]['faults'] else 'ok'}", flush=True)
    res2 = []
    if ref2:
        for i, t in enumerate(kill_times(n2, ref2.duration, rng)):
            res2.append(one_trial(trial, inbox2, W2, week1, ref2, t, logs, f"w2-{i:02d}", rng))
            print(f"  w2-{i:02d} kill at {t:5.2f} s  {res2[-1]['stage']:<22} "
                  f"{'FAULT' if res2[-1]['faults'] else 'ok'}", flush=True)

    b1, l1, k1 = summarise("week 1 (empty warehouse)", res1, ref1)
    b2, l2, k2 = summarise("week 2 (week 1 complete, new returns)", res2, ref2) if ref2 else (0, 0, 0)
    rows = [["week 1", len(res1), k1, b1, l1], ["week 2", len(res2), k2, b2, l2],
            ["total", len(res1) + len(res2), k1 + k2, b1 + b2, l1 + l2]]
    print("\n" + fmt_table(rows, ["variant", "trials", "kills", "trials with fault", "rows lost"]), end="")
    print(f"elapsed {time.monotonic() - t_start:.0f} s; logs in {logs}")
    (work / "results.json").write_text(json.dumps({"week1": res1, "week2": res2}, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    return 1 if (b1 + b2 + l1 + l2) else 0


if __name__ == "__main__":
    sys.exit(main())
