"""The learn stage: labels from returns, time validation, the model's use, the estimates."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.learn import ensure_tables, estimate_hit_rates, learn, precision_at_k, wilson
from pipeline.score import SCORES_DDL
from pipeline.signals import EVIDENCE_DDL
from tests.stagekit import insert, project_config, stg_db

RUN_DATE = dt.date(2021, 8, 2)


def test_precision_at_k_takes_the_expected_value_over_ties():
    # ranks: 3 (hit), then a tie of two at 2 (one hit) straddling k = 2
    assert precision_at_k([3, 2, 2, 1], [1, 0, 1, 0], 2) == pytest.approx((1 + 0.5) / 2)
    assert precision_at_k([3, 2, 2, 1], [1, 0, 1, 0], 3) == pytest.approx(2 / 3)
    assert precision_at_k([5, 5, 5, 5], [1, 0, 0, 0], 1) == pytest.approx(0.25)


def test_wilson_interval_is_not_zero_width_at_zero_hits():
    lo, hi = wilson(0, 27)
    assert lo == 0.0 and hi == pytest.approx(0.1246, abs=1e-3)
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)


def _base(con):
    con.execute(SCORES_DDL)
    con.execute(EVIDENCE_DDL)
    ensure_tables(con)
    con.execute("CREATE TABLE ref_communities AS SELECT '林口' AS name, '第一工作点' AS work_point")


def test_labels_take_the_latest_inside_visit_and_the_run_that_listed_it():
    con = stg_db()
    _base(con)
    con.execute("INSERT INTO runs (run_id, as_of, run_date) VALUES (1, '2021-06-30', '2021-07-05'), "
                "(2, '2021-06-30', '2021-07-12')")
    con.execute("INSERT INTO visit_lists VALUES (1, 'A', '林口', 1, false), (2, 'A', '林口', 1, false), "
                "(1, 'B', '林口', 9, true), (2, 'C', '林口', 2, false)")
    insert(con, "stg_outcomes", [
        dict(premises_id="A", visit_date=dt.date(2021, 7, 7), finding="无法进入"),
        dict(premises_id="A", visit_date=dt.date(2021, 7, 14), finding="违法违规", category=2),
        dict(premises_id="B", visit_date=dt.date(2021, 7, 8), finding="违法违规", category=3),
        dict(premises_id="B", visit_date=dt.date(2021, 7, 9), finding="未发现问题"),   # a correction
        dict(premises_id="C", visit_date=dt.date(2021, 7, 13), finding="未找到"),      # teaches nothing
        dict(premises_id="D", visit_date=dt.date(2021, 7, 6), finding="未发现问题"),   # never listed
        dict(premises_id="E", visit_date=dt.date(2021, 8, 9), finding="违法违规", category=1),  # after the run
    ])
    from pipeline.db import run_sql_file
    from pipeline.learn import HERE

    run_sql_file(con, HERE / "labels.sql", {"run_id": 3, "run_date": RUN_DATE})
    got = con.execute("SELECT premises_id, visit_date::VARCHAR, hit, listed, random_pick, feature_run_id "
                      "FROM learn_labels WHERE run_id = 3 ORDER BY premises_id").fetchall()
    assert got == [("A", "2021-07-14", True, True, False, 2),
                   ("B", "2021-07-09", False, True, True, 1),
                   ("D", "2021-07-06", False, False, False, 1)]


def _campaign(con, rule_a: float, rule_b: float, n: int = 24):
    """n premises with signal power_night (A: found illegal) and n with tip (B: clean), visited
    over four weeks from the run-1 lists; the rule score puts A at rule_a and B at rule_b."""
    con.execute("INSERT INTO runs (run_id, as_of, run_date) VALUES (1, '2021-06-30', '2021-07-05')")
    for run in (1, 2):
        for i in range(n):
            for kind, signal, rule in (("A", "power_night", rule_a), ("B", "tip", rule_b)):
                pid = f"{kind}{i:02d}"
                con.execute("INSERT INTO scores (run_id, premises_id, community, score, families, rank) "
                            "VALUES (?, ?, '林口', ?, 1, 0)", [run, pid, rule])
                con.execute("INSERT INTO evidence (run_id, premises_id, signal, family, strength) VALUES (?, ?, ?, ?, 1.0)",
                            [run, pid, signal, "power" if kind == "A" else "tips"])
                if run == 1:
                    con.execute("INSERT INTO visit_lists VALUES (1, ?, '林口', 0, false)", [pid])
                    insert(con, "stg_outcomes", [dict(
                        premises_id=pid, visit_date=dt.date(2021, 7, 6) + dt.timedelta(days=i),
                        finding="违法违规" if kind == "A" else "未发现问题", category=2 if kind == "A" else None)])
    # premises of this run that nobody has visited yet: one of each kind, and one without evidence
    for pid, signal, rule in (("NA", "power_night", rule_a), ("NB", "tip", rule_b)):
        con.execute("INSERT INTO scores (run_id, premises_id, community, score, families, rank) VALUES (2, ?, '林口', ?, 1, 0)",
                    [pid, rule])
        con.execute("INSERT INTO evidence (run_id, premises_id, signal, family, strength) VALUES (2, ?, ?, 'x', 1.0)",
                    [pid, signal])
    con.execute("INSERT INTO scores (run_id, premises_id, community, score, families, rank) VALUES (2, 'N0', '林口', 0, 0, 0)")


def test_a_model_that_beats_the_rule_score_on_later_visits_is_used_and_says_so():
    con = stg_db()
    _base(con)
    _campaign(con, rule_a=20.0, rule_b=40.0)          # the rules favour the wrong kind
    cfg = project_config()
    out = learn(con, cfg, 2, RUN_DATE)
    assert out["status"] == "used" and out["used"] is True
    assert out["n_labels"] == 48 and out["n_hits"] == 24
    assert out["precision_rule"] == pytest.approx(0.0) and out["precision_model"] == pytest.approx(1.0)
    assert out["n_random_test"] == 0 and out["auc_model_random"] is None     # no random picks here
    # what it learnt, in Chinese: night use speaks for a finding, this kind of tip against
    assert "夜间用电 +" in out["learnt"] and "群众举报 -" in out["learnt"]
    scores = dict(con.execute("SELECT premises_id, score FROM scores WHERE run_id = 2 AND premises_id LIKE 'N%'").fetchall())
    assert scores["NA"] > scores["NB"] and scores["N0"] == 0          # no evidence: the model adds nothing
    ranks = dict(con.execute("SELECT premises_id, rank FROM scores WHERE run_id = 2").fetchall())
    assert ranks["NA"] < ranks["NB"]
    rule, points, sentence = con.execute("SELECT rule_score, model_points, sentence FROM model_scores "
                                         "WHERE run_id = 2 AND premises_id = 'NA'").fetchone()
    assert rule == 20.0 and points > 0 and sentence.startswith("走访结果学习：依据已检查的 48 处场所，这类证据组合查实违法违规约")


def test_a_model_that_does_not_beat_the_rules_leaves_the_scores_alone():
    con = stg_db()
    _base(con)
    _campaign(con, rule_a=40.0, rule_b=20.0)          # the rules already rank the hits first
    out = learn(con, project_config(), 2, RUN_DATE)
    assert out["status"] == "not_better" and out["used"] is False
    scores = dict(con.execute("SELECT premises_id, score FROM scores WHERE run_id = 2 AND premises_id LIKE 'N%'").fetchall())
    assert scores == {"NA": 40.0, "NB": 20.0, "N0": 0.0}


def test_too_few_labels_or_learning_switched_off_train_nothing():
    con = stg_db()
    _base(con)
    _campaign(con, rule_a=20.0, rule_b=40.0, n=4)
    assert learn(con, project_config(), 2, RUN_DATE)["status"] == "too_few"
    con2 = stg_db()
    _base(con2)
    _campaign(con2, rule_a=20.0, rule_b=40.0)
    cfg = project_config()
    cfg.learning = {**cfg.learning, "enabled": False}
    assert learn(con2, cfg, 2, RUN_DATE)["status"] == "disabled"
    assert con2.execute("SELECT score FROM scores WHERE run_id = 2 AND premises_id = 'NA'").fetchone()[0] == 20.0


def test_random_picks_estimate_what_is_left_below_the_cut():
    con = stg_db()
    _base(con)
    con.execute("INSERT INTO runs (run_id, as_of, run_date) VALUES (1, '2021-06-30', '2021-07-05')")
    # run 1: two scored picks (one hit) and four random picks (one hit)
    picks = [("S1", False, "违法违规"), ("S2", False, "未发现问题"), ("R1", True, "违法违规"),
             ("R2", True, "未发现问题"), ("R3", True, "未发现问题"), ("R4", True, "未发现问题")]
    for pid, rnd, finding in picks:
        con.execute("INSERT INTO visit_lists VALUES (1, ?, '林口', 0, ?)", [pid, rnd])
        insert(con, "stg_outcomes", [dict(premises_id=pid, visit_date=dt.date(2021, 7, 7), finding=finding,
                                          category=2 if finding == "违法违规" else None)])
    # run 2 scores 16 premises: the 6 visited, 2 on the new list, 8 below the cut
    for i, pid in enumerate([p for p, _, _ in picks] + ["L1", "L2"] + [f"X{j}" for j in range(8)]):
        con.execute("INSERT INTO scores (run_id, premises_id, community, score) VALUES (2, ?, '林口', ?)", [pid, 16 - i])
    con.execute("INSERT INTO visit_lists VALUES (2, 'L1', '林口', 1, false), (2, 'L2', '林口', 2, false), "
                "(2, 'X0', '林口', 3, true)")
    learn(con, project_config(), 2, RUN_DATE)
    est = {r["part"]: r for r in estimate_hit_rates(con, 2)}
    scored, rnd = est["清单（按风险分）"], est["随机抽查（清单之外）"]
    assert (scored["visits"], scored["hits"], scored["rate"]) == (2, 1, 0.5)
    assert (rnd["visits"], rnd["hits"], rnd["rate"]) == (4, 1, 0.25)
    # below the cut: 16 − 6 visited − 2 scored picks = 8 (the random pick X0 is below the cut)
    assert rnd["premises_below_cut"] == 8 and rnd["missed_estimate"] == pytest.approx(2.0)
    lo, hi = wilson(1, 4)
    assert rnd["missed_low"] == pytest.approx(8 * lo) and rnd["missed_high"] == pytest.approx(8 * hi)


def test_blend_moves_only_what_the_rule_score_misjudged():
    from pipeline.learn import blend

    got = blend(rule=[30.0, 30.0, 0.0, 95.0, 5.0], prob=[0.6, 0.9, 0.9, 0.99, 0.0],
                expected=[0.6, 0.4, 0.4, 0.4, 0.5], weight=0.4)
    # as judged: no move; found more often than its score said: +0.4 × 100 × 0.5 = +20;
    # no evidence: stays 0; capped at 100; never below 0
    assert got.tolist() == pytest.approx([30.0, 50.0, 0.0, 100.0, 0.0])


def test_every_configured_signal_has_a_chinese_name_for_the_report():
    from pipeline.learn.text import FEATURE_NAMES

    assert set(project_config().scoring["signals"]) <= set(FEATURE_NAMES)


def test_random_picks_among_the_later_visits_give_the_unbiased_comparison():
    con = stg_db()
    _base(con)
    _campaign(con, rule_a=20.0, rule_b=40.0)
    # the last two days' visits (in the test period) were random picks: two of each kind
    con.execute("UPDATE visit_lists SET random_pick = true WHERE premises_id IN ('A22', 'A23', 'B22', 'B23')")
    out = learn(con, project_config(), 2, RUN_DATE)
    assert (out["n_random_test"], out["random_hits_test"]) == (4, 2)
    assert out["auc_rule_random"] == pytest.approx(0.0) and out["auc_model_random"] == pytest.approx(1.0)
