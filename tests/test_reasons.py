"""主要依据 says each thing once (issue 10, item 20): one reason per kind of fact (the strongest),
at most max_reasons, and the licensed-discount note only where points were taken, agreeing with
the score shown. Inline evidence rows through the real score and publish stages."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.publish import publish_lists
from pipeline.score import score_premises
from tests.stagekit import project_config, stg_db
from tests.test_scoring_rules import _own_premises

AS_OF = dt.date(2021, 7, 5)


def _ranking_reasons(tmp_path, rows, cfg=None):
    con = stg_db()
    _own_premises(con, {"P1": [("power_accounts", "0510000001")], "P2": [("power_accounts", "0510000002")]})
    con.execute("UPDATE premises SET name = premises_id")
    con.execute("CREATE TABLE int_link_parsed (source VARCHAR, source_key VARCHAR, form VARCHAR, "
                "is_person BOOLEAN, name VARCHAR)")
    con.execute("CREATE TABLE evidence (run_id INTEGER, premises_id VARCHAR, signal VARCHAR, family VARCHAR, "
                "strength DOUBLE, value VARCHAR, baseline VARCHAR, sentence VARCHAR)")
    for pid, sig, fam, st, sen in rows:
        con.execute("INSERT INTO evidence VALUES (1, ?, ?, ?, ?, NULL, NULL, ?)", [pid, sig, fam, st, sen])
    cfg = cfg or project_config()
    from pipeline.link import _load_reference

    _load_reference(con, cfg)
    con.execute("CREATE TABLE link_candidates (source_l VARCHAR, key_l VARCHAR, source_r VARCHAR, key_r VARCHAR, "
                "score DOUBLE, premises_l VARCHAR, name_l VARCHAR, address_l VARCHAR, premises_r VARCHAR, "
                "name_r VARCHAR, address_r VARCHAR)")
    score_premises(con, cfg, 1, AS_OF)
    publish_lists(con, cfg, 1, tmp_path, as_of=AS_OF)
    return pd.read_csv(tmp_path / "ranking.csv", encoding="utf-8-sig", dtype=str).set_index("场所编号")["主要依据"]


def test_reasons_are_deduplicated_by_kind_and_the_discount_note_agrees_with_the_score(tmp_path):
    rows = [
        # P1: the same waybills told twice (licence scope and unlicensed receipt), the same rise
        # in power told twice, a night share and a tip-off
        ("P1", "license_scope", "licenses", 1.0, "运单甲 16 张"),
        ("P1", "waybill_unlicensed", "transport", 0.8, "运单乙 12 张"),
        ("P1", "power_surge", "power", 0.5, "用电升至 5 倍"),
        ("P1", "power_industrial_on_residential", "power", 0.9, "居民户用电为中位数 30 倍"),
        ("P1", "power_night", "power", 0.4, "夜间用电占 70%"),
        ("P1", "tip", "tips", 0.2, "举报有刺鼻气味"),
        # P2: the same fact twice only
        ("P2", "truck_stop", "transport", 0.4, "危货车辆夜间停留 2 次"),
        ("P2", "waybill_stop_mismatch", "transport", 0.6, "运单未在申报地卸货"),
    ]
    got = _ranking_reasons(tmp_path, rows)
    assert got["P1"] == ("运单甲 16 张；居民户用电为中位数 30 倍；夜间用电占 70%；"
                         "建议整治类别 3：无营业执照、无危化品许可")
    assert got["P2"] == "运单未在申报地卸货；建议整治类别 3：无营业执照、无危化品许可"


def test_each_reason_is_cut_to_max_reason_chars(tmp_path):
    cfg = project_config()
    cfg.scoring["max_reason_chars"] = 20
    long = "夜间用电占全天的百分之七十，" * 5                      # 70 characters
    got = _ranking_reasons(tmp_path, [("P1", "power_night", "power", 0.9, long),
                                      ("P2", "power_night", "power", 0.9, "夜间用电占 70%")], cfg)
    assert got["P1"].split("；")[0] == long[:19] + "…"
    assert got["P2"].split("；")[0] == "夜间用电占 70%"


def test_a_premises_listed_on_one_weak_reason_says_so(tmp_path):
    cfg = project_config()
    weak = cfg.scoring["weak_reason_points"]
    w_tip = cfg.scoring["signals"]["tip"]["weight"]
    w_surge = cfg.scoring["signals"]["power_surge"]["weight"]
    got = _ranking_reasons(tmp_path, [
        ("P1", "tip", "tips", (weak - 1) / w_tip, "群众举报 1 次：晚上有怪味"),        # one reason, under the mark
        ("P2", "power_surge", "power", 0.9, "近4周日均 900 kWh，为此前的 6.0 倍"),  # one strong reason
    ], cfg)
    assert got["P1"].startswith("【仅一项较弱依据，建议先核实再安排检查】群众举报 1 次：晚上有怪味")
    assert not got["P2"].startswith("【")
    assert 0.9 * w_surge >= weak
