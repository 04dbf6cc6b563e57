"""Benchmark: our linker against Splink 5 on the same parsed records. Prints figures; not in CI.

    make bench-env                                   # once: .venv-bench with the project + splink 5
    .venv-bench/bin/python bench/bench_link.py [--seed N] [--world DIR]

Splink is never a project dependency; it lives only in `.venv-bench` (see bench/README.md).

The world is simulated once into data/bench/link-<seed>/ (default seed 21, a seed nobody
tuned on) and screened, which fills `int_link_parsed` and `premises_members`. Then:

- ours: `pipeline.link.build_premises` on a copy of that database, timed around the call
  only (parsing, blocking, EM, place rules, clustering, writing tables), --runs times
  (default 3) on the same copy: the first run is cold (first use of every code path in
  this process), the median of the others is reported as warm.
- Splink: the rows of `int_link_parsed` as our last run left them (so both methods see
  exactly the same parsed records, even if the world was screened by older code) in a pandas frame, loaded into a fresh in-memory
  DuckDB through Splink's DuckDBAPI; comparisons and blocking mirror ours (see
  `splink_settings`); u by random sampling, m by EM on three training blocking rules, the
  prior from deterministic rules; predict and connected components at our
  `match_threshold`. Timed from loading the frame to having clusters, --runs times as well,
  each in a fresh in-memory DuckDB.

Both sets of clusters are scored by `pipeline.evaluate.link_metrics` against the world's
truth (Splink's in a separate in-memory DuckDB holding only its `premises_members`).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEED = 21
BENCH_ENV_HELP = """splink is not importable from this interpreter ({exe}).
The bench runs in its own environment, never in the project's .venv:

    make bench-env
    # or by hand:
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -e . 'splink==5.*'

then: .venv-bench/bin/python bench/bench_link.py"""

log = logging.getLogger("bench_link")

# columns of int_link_parsed that either model reads
RECORD_COLUMNS = ["rid", "source", "source_key", "uscc", "person_key", "is_person", "core", "trade",
                  "community", "community_inferred", "road", "number", "addr_rest", "lon", "lat"]


@dataclass
class Result:
    method: str
    seconds: list[float]
    metrics: pd.DataFrame
    pairs: pd.DataFrame              # candidate pairs scored (rid_l < rid_r)
    notes: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- world


def ensure_world(world: Path, seed: int) -> Path:
    """Simulate and screen the world if needed; return its screened database."""
    db = world / "w.duckdb"
    if not (world / "inbox").exists():
        log.info("simulating world seed %d into %s", seed, world)
        subprocess.run([sys.executable, "-m", "pipeline", "simulate", "--out", str(world), "--seed", str(seed)],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    if not db.exists():
        log.info("screening %s", world / "inbox")
        subprocess.run([sys.executable, "-m", "pipeline", "screen", "--inbox", str(world / "inbox"),
                        "--db", str(db), "--out", str(world / "out")],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return db


def copy_db(db: Path, tmp: Path) -> Path:
    dst = tmp / db.name
    shutil.copy2(db, dst)
    wal = Path(str(db) + ".wal")
    if wal.exists():
        shutil.copy2(wal, Path(str(dst) + ".wal"))
    return dst


def load_records(con) -> pd.DataFrame:
    return con.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM int_link_parsed ORDER BY rid").df()


# --------------------------------------------------------------------------- ours


def run_ours(db: Path, truth: Path, runs: int) -> tuple[Result, pd.DataFrame]:
    """Time build_premises on a copy of db; also return the parsed records it linked."""
    from pipeline import config
    from pipeline.db import connect
    from pipeline.evaluate import link_metrics
    from pipeline.link import build_premises

    cfg = config.load(ROOT / "configs")
    seconds = []
    with tempfile.TemporaryDirectory(prefix="bench_link_") as tmp:
        con = connect(copy_db(db, Path(tmp)))
        for i in range(runs):
            t0 = time.perf_counter()
            build_premises(con, cfg)
            seconds.append(time.perf_counter() - t0)
            log.info("ours run %d: %.2f s", i + 1, seconds[-1])
        pairs = con.execute("SELECT rid_l, rid_r FROM int_link_pairs").df()
        metrics = link_metrics(con, truth)
        records = load_records(con)
        con.close()
    return Result("ours (build_premises)", seconds, metrics, pairs), records


# --------------------------------------------------------------------------- Splink


def splink_records_sql(max_block: int, grid_m: float) -> str:
    """Derived columns for Splink, computed inside Splink's DuckDB (so inside its timed span).

    core_name is null for personal names, as in our comparisons; the k_* blocking keys are
    ours (pipeline/link/pairs.py) with keys shared by more than max_block records nulled, as
    our blocking skips such blocks; gx/gy is our grid of grid_m cells, grid_dense marks cells
    holding more than max_block // 9 points, which pair only sites (as ours)."""
    deg = grid_m / 111_000.0
    keys = {
        "k_uscc": ("uscc", "true"),
        "k_address": ("community || '|' || road || '|' || number", "true"),
        "k_address_text": ("addr_rest", "road IS NULL AND length(addr_rest) >= 4"),
        "k_road_number": ("road || '|' || number", "community IS NULL OR community_inferred"),
        "k_core": ("core", "NOT is_person"),
        "k_person_community": ("person_key || '|' || community", "true"),
        "k_name_head": ("community || '|' || left(core, 1)", "NOT is_person AND length(core) >= 2"),
        "k_name_tail": ("community || '|' || right(core, 1)", "NOT is_person AND length(core) >= 2"),
    }
    raw = ",\n".join(f"CASE WHEN coalesce({w}, false) THEN {e} END AS {k}" for k, (e, w) in keys.items())
    capped = ",\n".join(
        f"CASE WHEN count(*) OVER (PARTITION BY {k}) <= {max_block} THEN {k} END AS {k}" for k in keys)
    return f"""
        WITH r AS (
            SELECT *, CASE WHEN NOT is_person THEN core END AS core_name,
                   floor(lon / {deg})::BIGINT AS gx, floor(lat / {deg})::BIGINT AS gy,
                   source = 'sites' AS is_site,
                   {raw}
            FROM bench_records
        )
        SELECT * EXCLUDE ({', '.join(keys)}), {capped},
               count(*) OVER (PARTITION BY gx, gy) > {max_block // 9} AS grid_dense
        FROM r
    """


def splink_settings(geo_m: list[float], name_sim: list[float]):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.CustomLevel("(community_l IS NULL OR community_r IS NULL) AND NOT "
                            "coalesce(road_l = road_r AND number_l = number_r, false)",
                            "no community").configure(is_null_level=True),
            # ours has a level of its own for "same road+number, community unknown"; it is too
            # rare here (tips only) for Splink to train, so it counts as the same address
            cll.CustomLevel("community_l IS NULL OR community_r IS NULL OR (road_l = road_r AND number_l = number_r) "
                            "OR (road_l IS NULL AND road_r IS NULL AND addr_rest_l = addr_rest_r "
                            "AND length(addr_rest_l) >= 4)", "same address"),
            cll.CustomLevel("community_l = community_r AND road_l = road_r AND "
                            "abs(try_cast(number_l AS INTEGER) - try_cast(number_r AS INTEGER)) <= 4",
                            "same road, number within 4"),
            cll.CustomLevel("community_l = community_r AND road_l = road_r", "same road"),
            cll.CustomLevel("community_l = community_r AND (road_l IS NULL OR road_r IS NULL "
                            "OR number_l IS NULL OR number_r IS NULL)", "same community, address incomplete"),
            cll.CustomLevel("community_l = community_r", "same community"),
            cll.ElseLevel(),
        ],
    )
    hi, mid = name_sim
    name = cl.CustomComparison(
        output_column_name="core_name",
        comparison_levels=[
            cll.NullLevel("core_name"),
            cll.And(cll.ExactMatchLevel("core_name"), cll.ExactMatchLevel("trade")),
            cll.ExactMatchLevel("core_name"),
            cll.JaroWinklerLevel("core_name", hi),
            cll.JaroWinklerLevel("core_name", mid),
            cll.ElseLevel(),
        ],
    )
    grid = [f"l.gx = r.gx + {d} AND l.gy BETWEEN r.gy - 1 AND r.gy + 1 "
            "AND (l.is_site OR r.is_site OR NOT (l.grid_dense OR r.grid_dense))" for d in (-1, 0, 1)]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rid",
        comparisons=[
            cl.ExactMatch("uscc"),
            cl.ExactMatch("person_key"),
            address,
            cl.DistanceInKMAtThresholds("lat", "lon", [m / 1000 for m in geo_m]),
            name,
        ],
        blocking_rules_to_generate_predictions=[
            block_on("k_uscc"), block_on("k_address"), block_on("k_address_text"), block_on("k_road_number"),
            block_on("k_core"), block_on("k_person_community"), block_on("k_name_head"), block_on("k_name_tail"),
            *grid,
        ],
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["source", "source_key"],
    )


def run_splink_once(records: pd.DataFrame, lk: dict, prior_recall: float, u_pairs: float,
                    max_block: int) -> tuple[float, pd.DataFrame, object]:
    from splink import DuckDBAPI, Linker, block_on

    threshold = float(lk["match_threshold"])
    geo_m = [float(x) for x in lk["geo_distance_m"]]
    t0 = time.perf_counter()
    db_api = DuckDBAPI(":memory:")
    con = db_api.duckdb_con
    con.register("_records", records)
    con.execute("CREATE TABLE bench_records AS SELECT * FROM _records")
    con.unregister("_records")
    con.execute(f"CREATE TABLE bench_input AS {splink_records_sql(max_block, geo_m[1])}")
    df = db_api.register("bench_input")
    linker = Linker(df, splink_settings(geo_m, [float(x) for x in lk["name_similarity"]]),
                    log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("uscc"), block_on("core_name", "community", "road", "number")], recall=prior_recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=int(lk["u_seed"]))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("community", "road", "number"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("core_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("person_key"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold).as_pandas_dataframe()
    seconds = time.perf_counter() - t0
    return seconds, clusters, linker


def run_splink(records: pd.DataFrame, truth: Path, runs: int, prior_recall: float, u_pairs: float) -> Result:
    from pipeline import config
    from pipeline.evaluate import link_metrics
    from pipeline.link.pairs import MAX_BLOCK

    lk = config.load(ROOT / "configs").linking
    seconds = []
    for i in range(runs):
        secs, clusters, linker = run_splink_once(records, lk, prior_recall, u_pairs, MAX_BLOCK)
        seconds.append(secs)
        log.info("splink run %d: %.2f s, %d clusters", i + 1, secs, clusters["cluster_id"].nunique())
    # outside the timed span: how many pairs Splink's blocking scores, and its prior
    pairs = linker.inference.predict(warning_mode="never").as_pandas_dataframe()[["rid_l", "rid_r"]]
    prior = linker._settings_obj._probability_two_random_records_match
    members = clusters[["cluster_id", "source", "source_key"]].astype(str).rename(
        columns={"cluster_id": "premises_id"})
    con = duckdb.connect(":memory:")
    con.register("_members", members)
    con.execute("CREATE TABLE premises_members AS SELECT * FROM _members")
    metrics = link_metrics(con, truth)
    con.close()
    return Result("Splink 5 (DuckDB)", seconds, metrics, pairs,
                  {"clusters": members["premises_id"].nunique(), "prior": prior})


# --------------------------------------------------------------------------- report

REPORT_COLUMNS = [("power_accounts↔registry", "acct↔reg"), ("power_accounts↔waybills", "acct↔wb"),
                  ("registry↔waybills", "reg↔wb"), ("licenses↔registry", "lic↔reg"),
                  ("power_accounts↔sites", "acct↔site"), ("tips↔any", "tips↔any")]


def _cold_warm(seconds: list[float]) -> str:
    """Run 1 (cold) and the median of the later runs (warm)."""
    warm = f"{statistics.median(seconds[1:]):7.2f}" if len(seconds) > 1 else f"{'-':>7}"
    return f"{seconds[0]:7.2f} {warm}"


def print_table(results: list[Result], world: Path, n_records: int) -> None:
    print(f"\nLinking benchmark — {world} ({n_records} records of int_link_parsed)")
    print("times: wall seconds of run 1 (cold) / median of later runs (warm); P/R/F1: pairwise, all pairs; "
          "source-pair columns: pairwise F1; B3: B-cubed F1")
    head = (f"{'method':24} {'cold s':>7} {'warm s':>7} {'P':>6} {'R':>6} {'F1':>6} "
            + " ".join(f"{short:>9}" for _, short in REPORT_COLUMNS) + f" {'B3':>6}")
    print(head)
    print("-" * len(head))
    for r in results:
        m = r.metrics.set_index("pair")
        ov = m.loc["overall"]
        print(f"{r.method:24} {_cold_warm(r.seconds)} {ov.precision:6.3f} {ov.recall:6.3f} "
              f"{ov.f1:6.3f} " + " ".join(f"{m.loc[p, 'f1']:9.3f}" for p, _ in REPORT_COLUMNS)
              + f" {r.metrics.attrs['bcubed_f1']:6.3f}")
    m = results[0].metrics.set_index("pair")
    print(f"{'(true pairs)':24} {'':7} {'':7} {'':6} {'':6} {m.loc['overall', 'true_pairs']:6d} "
          + " ".join(f"{m.loc[p, 'true_pairs']:9d}" for p, _ in REPORT_COLUMNS))
    print()
    for r in results:
        warm = statistics.median(r.seconds[1:] or r.seconds)
        print(f"{r.method}: {len(r.pairs):,} candidate pairs scored; "
              f"{len(r.pairs) / warm:,.0f} pairs/s over the whole link (warm, {warm:.2f} s)"
              + (f"; {r.notes['clusters']:,} clusters, prior {r.notes['prior']:.3g}" if r.notes else ""))
    a, b = results[0].pairs, results[1].pairs
    both = len(a.merge(b, on=["rid_l", "rid_r"]))
    print(f"blocking: {both:,} pairs in both, {len(a) - both:,} only in ours, {len(b) - both:,} only in Splink's "
          "(Splink's rules are a hand copy of pipeline/link/pairs.py; a difference means they drifted)")


def splink_importable() -> bool:
    try:
        import splink
    except ImportError:
        return False
    return splink.__version__.split(".")[0] == "5"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--world", type=Path, default=None, help="default data/bench/link-<seed>")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per method (default 3: one cold, the median of the rest warm)")
    ap.add_argument("--prior-recall", type=float, default=0.5,
                    help="assumed recall of Splink's deterministic rules for its prior (a guess, not tuned)")
    ap.add_argument("--u-pairs", type=float, default=1e6, help="random pairs for Splink's u estimate")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("splink").setLevel(logging.WARNING)   # its INFO is a page per training step
    if not splink_importable():
        print(BENCH_ENV_HELP.format(exe=sys.executable), file=sys.stderr)
        return 2
    os.chdir(ROOT)                       # configs and decisions_dir are relative to the project
    world = (a.world or ROOT / "data" / "bench" / f"link-{a.seed}").resolve()
    db = ensure_world(world, a.seed)
    truth = world / "truth"
    ours, records = run_ours(db, truth, a.runs)
    log.info("%d records in int_link_parsed", len(records))
    results = [ours, run_splink(records, truth, a.runs, a.prior_recall, a.u_pairs)]
    print_table(results, world, len(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
