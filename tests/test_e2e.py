"""End to end: simulate the demo world, screen it, check the lists and the bookkeeping."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.publish.text import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
COMMUNITIES = ["林口", "张前", "林格", "英塘", "小浯塘", "曾林", "灵水", "大山后", "大布林", "小布林"]


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    r = _cli("simulate", "--out", str(base / "world"), "--seed", "3")
    assert r.returncode == 0, r.stderr
    r = _cli("screen", "--inbox", str(base / "world" / "inbox"), "--db", str(base / "w.duckdb"),
             "--out", str(base / "out"))
    assert r.returncode == 0, r.stderr
    (out_dir,) = [p for p in (base / "out").iterdir() if p.is_dir()]
    return base, out_dir, r


def test_one_list_per_community_with_design_columns_ranked(screened):
    base, out_dir, _ = screened
    for name in COMMUNITIES:
        df = pd.read_csv(out_dir / f"visit_list_{name}.csv", encoding="utf-8-sig", dtype=str)
        assert list(df.columns) == COLUMNS
        assert (df["社区"] == name).all()
        assert df["排名"].astype(int).tolist() == list(range(1, len(df) + 1))
        scores = df["风险分"].astype(float).tolist()
        assert scores == sorted(scores, reverse=True)
    ranking = pd.read_csv(out_dir / "ranking.csv", encoding="utf-8-sig", dtype=str)
    assert list(ranking.columns) == COLUMNS
    assert len(ranking) > 0
    assert ranking["风险分"].astype(float).is_monotonic_decreasing
    assert ranking["主要依据"].notna().all()
    listed = sum(len(pd.read_csv(out_dir / f"visit_list_{n}.csv", encoding="utf-8-sig")) for n in COMMUNITIES)
    assert listed > 0


def test_batches_add_up_and_manifest_traces_inputs(screened):
    base, out_dir, _ = screened
    con = duckdb.connect(str(base / "w.duckdb"), read_only=True)
    files = sorted(p.name for p in (base / "world" / "inbox").rglob("*") if p.is_file())
    batches = con.execute(
        "SELECT file_name, rows_read, rows_loaded, rows_rejected, rows_skipped FROM batches").fetchall()
    assert sorted(b[0] for b in batches) == files
    for name, read, loaded, rejected, skipped in batches:
        assert read == loaded + rejected + skipped, name
    per_source = dict(con.execute(
        "SELECT source, sum(rows_loaded) FROM batches GROUP BY source").fetchall())
    # loaded rows either sit in stg or were replaced by a newer export of the same key
    replaced = dict(con.execute("SELECT source, sum(rows_replaced) FROM batches GROUP BY source").fetchall())
    for source, loaded in per_source.items():
        in_stg = con.execute(f"SELECT count(*) FROM stg_{source}").fetchone()[0]
        assert in_stg == loaded - replaced[source], source
    rejects_per_batch = dict(con.execute(
        "SELECT b.file_name, count(DISTINCT (r.src_row)) FROM rejects r JOIN batches b USING (batch_id) "
        "WHERE r.severity = 'reject' GROUP BY 1").fetchall())
    for name, read, loaded, rejected, skipped in batches:
        assert rejects_per_batch.get(name, 0) == rejected, name
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["config_hash"]) == 64
    assert sorted(i["file"] for i in manifest["inputs"]) == files
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["row_counts"]["premises"] == con.execute("SELECT count(*) FROM premises").fetchone()[0]


def test_second_screen_of_same_inbox_loads_nothing_new(screened):
    base, _, _ = screened
    con = duckdb.connect(str(base / "w.duckdb"), read_only=True)
    n_batches = con.execute("SELECT count(*) FROM batches").fetchone()[0]
    n_readings = con.execute("SELECT count(*) FROM stg_power_readings").fetchone()[0]
    con.close()
    r = _cli("screen", "--inbox", str(base / "world" / "inbox"), "--db", str(base / "w.duckdb"),
             "--out", str(base / "out2"))
    assert r.returncode == 0, r.stderr
    con = duckdb.connect(str(base / "w.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM batches").fetchone()[0] == n_batches
    assert con.execute("SELECT count(*) FROM stg_power_readings").fetchone()[0] == n_readings
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_second_writer_gets_a_plain_message(screened):
    base, _, _ = screened
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb,time; c=duckdb.connect({str(base / 'w.duckdb')!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        r = _cli("screen", "--inbox", str(base / "world" / "inbox"), "--db", str(base / "w.duckdb"),
                 "--out", str(base / "out3"))
        assert r.returncode == 2
        assert "数据库" in r.stderr and "正被" in r.stderr
        assert "Traceback" not in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_no_reporter_identity_in_any_output_or_log(screened):
    base, out_dir, r = screened
    truth_tips = base / "world" / "inbox" / "tips"
    con = duckdb.connect(str(base / "w.duckdb"), read_only=True)
    # A reporter may share a common name with a business owner on a list; only names that
    # occur nowhere else in the data would betray a reporter.
    names = [x for (x,) in con.execute(
        "SELECT reporter FROM tip_reporters WHERE reporter IS NOT NULL AND reporter NOT IN "
        "(SELECT legal_rep FROM stg_registry WHERE legal_rep IS NOT NULL UNION "
        " SELECT account_name FROM stg_power_accounts UNION SELECT owner FROM stg_sites WHERE owner IS NOT NULL)"
    ).fetchall()]
    phones = [x for (x,) in con.execute(
        "SELECT reporter_phone FROM tip_reporters WHERE reporter_phone IS NOT NULL").fetchall()]
    assert names and phones and truth_tips.exists()
    texts = [p.read_text(encoding="utf-8-sig") for p in out_dir.glob("*.csv")]
    texts.append((out_dir / "manifest.json").read_text(encoding="utf-8"))
    texts.append(r.stderr + r.stdout)
    blob = "\n".join(texts)
    for s in names + phones:
        assert s not in blob
    cols = {c for (c,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'stg_tips'").fetchall()}
    assert not cols & {"reporter", "reporter_phone"}


def test_analyst_notebook_runs_on_the_screened_world(screened):
    base, _, _ = screened
    r = subprocess.run([sys.executable, str(ROOT / "notebooks" / "look_at_a_run.py")],
                       env={**__import__("os").environ, "CHEMSIEVE_DB": str(base / "w.duckdb")},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "run " in r.stdout and "buildings holding several premises" in r.stdout


def test_visit_return_rescreen_loop_fills_the_forms_and_progress(screened):
    import openpyxl

    base, out_dir, _ = screened
    returns = base / "world" / "inbox" / "outcomes" / "检查结果回报.csv"
    r = _cli("simulate-returns", "--world", str(base / "world"), "--db", str(base / "w.duckdb"),
             "--lists", str(out_dir), "--date", "2021-07-08", "--out", str(returns))
    assert r.returncode == 0, r.stderr
    ret = pd.read_csv(returns, encoding="utf-8-sig", dtype=str)
    r = _cli("screen", "--inbox", str(base / "world" / "inbox"), "--db", str(base / "w.duckdb"),
             "--out", str(base / "out4"), "--date", "2021-07-10")
    assert r.returncode == 0, r.stderr
    run_dir = base / "out4" / "2021-07-10"
    ws = openpyxl.load_workbook(run_dir / "附件2_汇总表.xlsx").worksheets[0]
    rows = {row[0]: row[1:] for row in ws.iter_rows(min_row=5, max_row=12, values_only=True)}
    assert sum(rows["发现违法违规企业数（家）"]) == int((ret["检查结论"] == "违法违规").sum())
    form3 = openpyxl.load_workbook(run_dir / "附件3_排查统计表.xlsx").worksheets[0]
    listed = [row for row in form3.iter_rows(min_row=5, values_only=True) if isinstance(row[0], int)]
    assert len(listed) == int((ret["检查结论"] == "违法违规").sum())
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "各社区进度" in page and "逾期未查" in page and "阶段与期限" in page and "逐周命中率" in page
    notes = pd.read_excel(run_dir / "visit_lists.xlsx", sheet_name="说明", engine="calamine")["说明"].tolist()
    assert "当前阶段：全面排查摸底（2021-07-06 至 2021-07-31）" in notes
    assert "清单报送 2021-07-25（还有 15 天）" in notes
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_date"] == "2021-07-10" and manifest["as_of"] < "2021-07-10"   # data date stays
    inside = int(ret["检查结论"].isin(["违法违规", "未发现问题"]).sum())
    assert manifest["model"]["n_labels"] == inside


def test_a_simulated_campaign_turns_each_weeks_returns_into_labels(screened, tmp_path):
    from pipeline.simulate.campaign import run_campaign

    base, _, _ = screened
    df = run_campaign(base / "world", tmp_path / "c", weeks=2, per_community=4, config_dir=ROOT / "configs")
    assert df["week"].tolist() == [0, 1, 2]
    assert df.loc[0, "labels"] == 0 and df.loc[0, "model"] == "too_few"
    # every inside visit of the weeks before a run is a label of that run (visited places leave the lists)
    assert df.loc[1, "labels"] == df.loc[0, "inside"]
    assert df.loc[2, "labels"] == df.loc[0, "inside"] + df.loc[1, "inside"]
    for w in (0, 1):
        ret = pd.read_csv(tmp_path / "c" / "inbox" / "outcomes" / f"检查结果回报_第{w + 1}周.csv",
                          encoding="utf-8-sig", dtype=str)
        assert df.loc[w, "hits"] == int((ret["检查结论"] == "违法违规").sum()) <= df.loc[w, "inside"]
        assert df.loc[w, "rnd_inside"] + df.loc[w, "list_inside"] == df.loc[w, "inside"]
    page = (tmp_path / "c" / "out" / "2021-07-19" / "report.html").read_text(encoding="utf-8")
    assert page.count("起</td>") == 2          # two weeks of visits in the week-by-week table
