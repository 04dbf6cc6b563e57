"""The visit lists week by week (issue 10): random picks are drawn once per campaign week and
kept until visited or the week ends, and only what was handed out is counted (item 13)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import yaml

from pipeline.screen import screen

ROOT = Path(__file__).resolve().parents[1]
RANDOM = "随机抽查：从清单之外随机抽取，用于估计清单的真实命中率，不代表该处有风险证据"

REGISTRY_HEAD = "统一社会信用代码,企业名称,企业类型,法定代表人,联系电话,住所,登记状态,成立日期,行业代码,所属行业,经营范围\n"
TIPS_HEAD = "举报编号,受理时间,举报内容,被举报地址,被举报单位,举报人,联系电话\n"
OUTCOMES_HEAD = "场所编号,检查日期,检查人,检查结论,整治类别,处置措施,没收违法所得（万元）,备注\n"
# twelve-ish quiet registered shops in 林口 and four places tipped off for chemical smells
QUIET = [f"晋江市灵源{w}贸易商行" for w in "甲乙丙丁戊己庚辛壬癸子丑"]


def _configs(tmp_path: Path, **scoring) -> Path:
    dest = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", dest)
    path = dest / "scoring.yaml"
    s = yaml.safe_load(path.read_text(encoding="utf-8"))
    s.update(scoring)
    path.write_text(yaml.safe_dump(s, allow_unicode=True), encoding="utf-8")
    return dest


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    (inbox / "registry").mkdir(parents=True)
    (inbox / "tips").mkdir(parents=True)
    reg = REGISTRY_HEAD + "".join(
        f"91350582MA2Y{i:05d}X,{name},个体工商户,林{i},1380000{i:04d},晋江市灵源街道林口社区灵光路{100 + i}号,"
        f"存续,2015-01-01,5212,百货零售,日用百货零售\n" for i, name in enumerate(QUIET))
    (inbox / "registry" / "名录.csv").write_text(reg, encoding="utf-8")
    tips = TIPS_HEAD + "".join(
        f"LYJB2021{i:05d},2021-06-2{i} 10:00,林口社区灵光路{10 + i}号晚上有刺鼻气味，有人在熬化工料,"
        f"晋江市灵源林口灵光路{10 + i}号,,匿名,\n" for i in range(4))
    (inbox / "tips" / "举报.csv").write_text(tips, encoding="utf-8")
    return inbox


def _run(tmp_path, inbox, cfg, day):
    res = screen(inbox, tmp_path / "w.duckdb", tmp_path / "out", config_dir=cfg, run_date=day)
    lst = pd.read_csv(res.out_dir / "visit_list_林口.csv", encoding="utf-8-sig", dtype=str)
    manifest = json.loads((res.out_dir / "manifest.json").read_text(encoding="utf-8"))
    return res, lst, manifest


def _picks(lst) -> set[str]:
    return set(lst.loc[lst["主要依据"] == RANDOM, "场所编号"])


def _progress(tmp_path, cfg_dir, run_id, day):
    import duckdb

    from pipeline import config
    from pipeline.publish.report import progress

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        from pipeline.link import _load_reference

        cfg = config.load(cfg_dir)
        _load_reference(con, cfg)          # ref_communities (a temp table of the run's connection)
        return progress(con, cfg, run_id, day).set_index("community").loc["林口"]
    finally:
        con.close()


def test_random_picks_are_drawn_per_week_and_kept_until_visited(tmp_path):
    cfg = _configs(tmp_path, random_share=0.5)
    inbox = _inbox(tmp_path)
    monday = dt.date(2021, 7, 5)
    _, first, _ = _run(tmp_path, inbox, cfg, monday)
    picks = _picks(first)
    scored = set(first.loc[first["主要依据"] != RANDOM, "场所编号"])
    assert len(scored) == 4 and len(picks) == 2          # ceil(0.5 × 4) picks from the quiet shops

    # a rerun the same day, and a second run in the same week: the same lists, nothing new, nothing left
    for day in (monday, monday + dt.timedelta(days=2)):
        res, again, manifest = _run(tmp_path, inbox, cfg, day)
        # and the report counts the new ones as the lists mark them
        n_new = int((again["本周新增"] == "是").sum())
        assert f"其中新增 {n_new} 处" in (res.out_dir / "report.html").read_text(encoding="utf-8")
        assert _picks(again) == picks
        assert list(again["场所编号"]) == list(first["场所编号"])
        # 本周新增 is against last week's list: as in the week's first run, not flipped to 否
        assert list(again["本周新增"]) == list(first["本周新增"]) and set(first["本周新增"]) == {"是"}
        assert manifest["left_the_list"] == []

    # one pick is visited: it leaves (with the visit as its reason) and the next in the week's order
    # takes its place; the other pick stays
    visited, stays = sorted(picks)
    (inbox / "outcomes").mkdir()
    (inbox / "outcomes" / "回报.csv").write_text(
        OUTCOMES_HEAD + f"{visited},2021-07-07,张三,未发现问题,,,,\n", encoding="utf-8")
    res, after, manifest = _run(tmp_path, inbox, cfg, monday + dt.timedelta(days=3))
    now = _picks(after)
    assert stays in now and visited not in now and len(now) == 2
    replacement = (now - {stays}).pop()
    assert after.loc[after["场所编号"] == replacement, "本周新增"].item() == "是"
    assert [(r["premises_id"], r["reason"]) for r in manifest["left_the_list"]] == [
        (visited, "已检查（2021-07-07，结论：未发现问题）")]

    # next week: a new draw; the unvisited picks of last week leave with the weekly draw as the reason
    res, nxt, manifest = _run(tmp_path, inbox, cfg, monday + dt.timedelta(days=7))
    new_picks = _picks(nxt)
    new_this_week = dict(zip(nxt["场所编号"], nxt["本周新增"]))
    assert {p for p, v in new_this_week.items() if v == "是"} == new_picks - (now | picks)   # vs last week's last list
    assert len(new_picks) == 2 and new_picks != now and visited not in new_picks
    left = {r["premises_id"]: r["reason"] for r in manifest["left_the_list"]}
    assert left == {p: "随机抽查每周重新抽取：上周抽中、未检查，本周未再抽中" for p in now - new_picks}

    # 上过清单 counts what was handed out: 4 by score, the visited pick, this week's 2 picks —
    # not last week's picks that rotated out unvisited; pending is what is on this list
    prog = _progress(tmp_path, cfg, res.run_id, monday + dt.timedelta(days=7))
    assert int(prog["listed"]) == 4 + 1 + len(new_picks)
    assert int(prog["visited"]) == 1
    assert int(prog["pending"]) == 4 + len(new_picks)
    assert int(prog["overdue"]) == 0


def _short_list_inbox(tmp_path: Path) -> Path:
    """林口: one place tipped off for a chemical smell (above the line), two with a plain
    complaint (some evidence, below the line) and twelve quiet shops (no evidence)."""
    inbox = _inbox(tmp_path)
    tips = TIPS_HEAD + (
        "LYJB202100001,2021-06-21 10:00,林口社区灵光路10号晚上有刺鼻气味，有人在熬化工料,晋江市灵源林口灵光路10号,,匿名,\n"
        "LYJB202100002,2021-06-22 10:00,林口社区灵光路11号门口乱停车,晋江市灵源林口灵光路11号,,匿名,\n"
        "LYJB202100003,2021-06-23 10:00,林口社区灵光路12号门口堆放杂物,晋江市灵源林口灵光路12号,,匿名,\n")
    (inbox / "tips" / "举报.csv").write_text(tips, encoding="utf-8")
    return inbox


def test_a_short_list_is_filled_by_score_and_keeps_its_random_picks(tmp_path):
    inbox = _short_list_inbox(tmp_path)
    _, lst, _ = _run(tmp_path / "a", inbox, _configs(tmp_path / "a"), dt.date(2021, 7, 5))
    scored = lst[lst["主要依据"] != RANDOM]
    assert list(scored["风险分"].astype(float)) == [16.4, 5.0, 5.0]      # the tips, recency-weighted
    assert not scored["主要依据"].iloc[0].startswith("清单未满")
    for why in scored["主要依据"].iloc[1:]:
        assert why.startswith("清单未满，按风险分依次补足（风险分 5.0，低于上榜线 10）；")
    # ceil(0.1 × 3) = 1 random pick, raised to the configured minimum of 2, after the list
    assert list(lst["主要依据"].iloc[3:]) == [RANDOM, RANDOM]
    assert list(lst["排名"].astype(int)) == [1, 2, 3, 4, 5]

    # without filling, and with nothing above the line at all, the random picks still come
    cfg = _configs(tmp_path / "b", fill_short_lists=False, min_score_for_list=50, random_min_per_list=3)
    _, lst, _ = _run(tmp_path / "b", inbox, cfg, dt.date(2021, 7, 5))
    assert list(lst["主要依据"]) == [RANDOM, RANDOM, RANDOM]


def test_list_settings_are_checked(tmp_path):
    import pytest

    from pipeline import config
    from pipeline.errors import ConfigError

    cfg = _configs(tmp_path, random_min_per_list=-1, fill_short_lists="是")
    with pytest.raises(ConfigError) as e:
        config.load(cfg)
    assert "random_min_per_list" in str(e.value) and "fill_short_lists" in str(e.value)
