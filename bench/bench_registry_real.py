"""Registry word rules on real text: every row of the Fujian registrations (outside Jinjiang).

Runs the real registry_chemical signal (scope read as sentences, the chemical_words.yaml
lexicon and traps, the name words) over all 51,478 rows of
../shared/reference/fujian_registry/ through a real DuckDB, and prints

  - how often the signal fires, by rule (make claim / name / sale claim) and by word;
  - how often the cover-name words (cover_name) meet a registration that claims no production;
  - a random sample (fixed seed) of hits and of near misses (a chemical-looking character
    in name or scope, no evidence) to read;
  - precision/recall on the hand-labelled rows of bench/registry_real_labels.csv:
    chemical makers found (target ≥ 0.90), firing on firms that mention chemicals only to
    exclude them (≤ 10%) and on unrelated firms (≤ 5%).

The data set is CC BY-NC-SA: it is read in place, never copied; the label file holds row
numbers (0-based data rows, the order pandas reads them), labels and our own reasons only.

    .venv/bin/python bench/bench_registry_real.py [--sample 40] [--seed 11]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.db import run_sql_file  # noqa: E402
from pipeline.signals import prepare, signal_evidence  # noqa: E402
from pipeline.signals.scope import named_words, read_scope  # noqa: E402

DATA = ROOT.parent.parent / "shared" / "reference" / "fujian_registry" / \
    "fujian_registrations_1978-2004_not_jinjiang.csv.gz"
if not DATA.exists():                      # a worktree under /work/wt/<name> or the main checkout
    DATA = Path("/work/shared/reference/fujian_registry/fujian_registrations_1978-2004_not_jinjiang.csv.gz")
LABELS = ROOT / "bench" / "registry_real_labels.csv"
AS_OF = dt.date(2021, 6, 30)
TARGETS = {"maker": (">=", 0.90), "exclusion": ("<=", 0.10), "unrelated": ("<=", 0.05)}
NEAR = re.compile(r"化|胶|漆|涂|墨|剂|树脂|溶|酸|碱|染|颜料|釉|肥|皂|香|炸|爆|烟花|氧|氮|氢|氯|苯|醇|酯|乙炔|液化|润滑|气体")


def read_rows(path: Path = DATA) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame({"row": range(len(df)), "name": df["企业名称"], "scope": df["经营范围"]})


def fire(rows: pd.DataFrame) -> pd.DataFrame:
    """The registry_chemical evidence of each row (one premises per row), through a real DuckDB."""
    from tests.stagekit import project_config

    con = duckdb.connect()
    run_sql_file(con, ROOT / "pipeline" / "macros.sql")
    run_sql_file(con, ROOT / "pipeline" / "ingest" / "schema.sql")
    run_sql_file(con, ROOT / "pipeline" / "link" / "known.sql")
    reg = pd.DataFrame({"batch_id": 1, "src_row": rows["row"] + 2, "source_key": "R" + rows["row"].astype(str),
                        "name": rows["name"], "scope": rows["scope"], "status": "存续"})
    con.register("_reg", reg)
    con.execute("INSERT INTO stg_registry (batch_id, src_row, source_key, name, scope, status) "
                "SELECT batch_id, src_row, source_key, name, scope, status FROM _reg")
    con.execute("CREATE OR REPLACE TABLE premises_members AS SELECT source_key AS premises_id, 'registry' AS source, "
                "source_key, 1.0 AS match_score, 'own' AS match_rule FROM _reg")
    con.unregister("_reg")
    cfg = project_config()
    prepare(con, cfg, AS_OF)
    ev = signal_evidence(con, cfg, "registry_chemical", AS_OF)
    ev["row"] = ev["premises_id"].str[1:].astype(int)
    ev["rule"] = ev["sentence"].map(lambda s: "make" if "写明生产" in s else "sale" if "经营范围含销售" in s
                                    else "name" if "名称含" in s else "code")
    return ev.set_index("row")


def labelled(path: Path = LABELS) -> pd.DataFrame:
    with open(path, encoding="utf-8") as f:
        return pd.DataFrame(list(csv.DictReader(line for line in f if not line.startswith("#")))).astype({"row": int})


def label_rates(ev: pd.DataFrame, labels: pd.DataFrame) -> dict[str, tuple[int, int, float]]:
    """label -> (rows fired, rows, share)."""
    out = {}
    for lab, grp in labels.groupby("label"):
        n_fired = int(grp["row"].isin(ev.index).sum())
        out[lab] = (n_fired, len(grp), n_fired / len(grp))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=40, help="rows printed of hits and of near misses")
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    if not DATA.exists():
        print(f"缺少真实登记数据 {DATA}，跳过")
        return 0
    t0 = time.perf_counter()
    rows = read_rows()
    ev = fire(rows)
    t1 = time.perf_counter()
    n = len(rows)
    print(f"registry_chemical over {n:,} real registrations: fired on {len(ev):,} ({len(ev) / n:.1%}) "
          f"in {t1 - t0:.1f} s")
    for rule, k in ev["rule"].value_counts().items():
        print(f"  rule {rule:<5} {k:6,} ({k / n:.2%})  strength {ev.loc[ev.rule == rule, 'strength'].iloc[0]:.1f}")
    for rule in ("make", "sale", "name"):
        words = Counter(w for v in ev.loc[ev.rule == rule, "value"] for w in str(v).split("、"))
        print(f"  words ({rule}): " + "  ".join(f"{w} {c}" for w, c in words.most_common(30)))
    # cover_name's registry side: a cover word in the name and no production claimed
    cover = ["生物", "科技", "新材料", "化工厂"]
    hit = rows[rows["name"].map(lambda s: bool(named_words(s, cover)))]
    quiet = hit[hit["scope"].map(lambda s: (lambda r: r.services_only or not r.makes_anything)(read_scope(s)))]
    print(f"cover_name words in the name: {len(hit):,} ({len(hit) / n:.1%}); of them claiming no production "
          f"(would fire with power or hazmat waybills): {len(quiet):,}")
    # what to read
    both = rows.set_index("row").join(ev[["rule", "value"]])
    print(f"\n--- {a.sample} random hits (seed {a.seed}) ---")
    for r, x in both[both["rule"].notna()].sample(a.sample, random_state=a.seed).iterrows():
        print(f"{r:6d} [{x.rule}:{x.value}] {x['name']} | {x.scope[:140]}")
    near = both[both["rule"].isna() & (both["name"] + both["scope"]).str.contains(NEAR)]
    print(f"\n--- {a.sample} random near misses of {len(near):,} (seed {a.seed}) ---")
    for r, x in near.sample(a.sample, random_state=a.seed).iterrows():
        print(f"{r:6d} {x['name']} | {x.scope[:140]}")
    if LABELS.exists():
        labels = labelled()
        rates = label_rates(ev, labels)
        print(f"\n--- hand-labelled sample: {len(labels)} rows ({LABELS.name}) ---")
        ok = True
        for lab in ("maker", "seller", "exclusion", "unrelated"):
            if lab not in rates:
                continue
            k, m, share = rates[lab]
            op, target = TARGETS.get(lab, (None, None))
            verdict = "" if op is None else ("  ✓" if (share >= target if op == ">=" else share <= target) else "  ✗")
            ok = ok and verdict != "  ✗"
            print(f"  {lab:<10} fired {k:4d} / {m:4d} = {share:6.1%}"
                  + (f"   target {op} {target:.0%}{verdict}" if op else ""))
        fired = labels[labels["row"].isin(ev.index)]
        chem = fired["label"].isin(["maker", "seller"]).sum()
        print(f"  precision (maker or seller among fired): {chem} / {len(fired)} = {chem / max(len(fired), 1):.1%}")
        makers = labels[labels.label == "maker"]
        missed = makers[~makers["row"].isin(ev.index)]
        if len(missed):
            print("  makers missed: " + "; ".join(f"{r.row} ({r.reason})" for r in missed.itertuples()))
        wrong = fired[fired["label"].isin(["exclusion", "unrelated"])]
        if len(wrong):
            print("  fired on: " + "; ".join(f"{r.row} {r.label} ({r.reason})" for r in wrong.itertuples()))
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
