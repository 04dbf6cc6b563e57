"""Repeated vague tips (issue 11): several tips naming only a community, no door number, are one
lead on that community's list — not four weak rows, and not nothing. Inline rows through a
real DuckDB and the real link, signals and scoring stages."""

from __future__ import annotations

import datetime as dt

from pipeline.link import build_premises
from pipeline.signals import compute_evidence
from tests.stagekit import insert, project_config, stg_db

AS_OF = dt.date(2021, 6, 30)


def _tip(tid, content, address, day):
    return dict(tip_id=tid, content=content, address=address, received_at=dt.datetime(2021, 6, day, 9, 0))


def _tip_evidence(con):
    return con.execute(
        "SELECT e.premises_id, e.value, e.sentence, list(m.source_key ORDER BY m.source_key) AS tips "
        "FROM evidence e JOIN premises_members m USING (premises_id) WHERE e.signal = 'tip' "
        "GROUP BY ALL ORDER BY e.premises_id").df()


def test_four_vague_tips_about_one_village_are_one_lead_a_lone_one_stays_one():
    con = stg_db()
    insert(con, "stg_tips", [
        _tip("T1", "英塘村晚上有刺鼻气味，不知道哪家", "英塘村", 3),
        _tip("T2", "英塘村那边晚上有槽罐车进出", "英塘社区", 10),
        _tip("T3", "英塘村晚上总有股怪味，电话13812345678", "英塘村那边", 17),
        _tip("T4", "英塘村半夜有人熬东西", "英塘村一带", 24),
        _tip("T5", "林口村那边晚上有怪味", "林口村那边", 20),                  # alone in its community
        _tip("T6", "英塘社区英华路8号晚上有刺鼻气味", "英塘社区英华路8号", 21),   # a door: its own
    ])
    cfg = project_config()
    build_premises(con, cfg)
    compute_evidence(con, cfg, 1, AS_OF)
    ev = _tip_evidence(con)
    lead = ev[ev["sentence"].str.contains("均指向")]
    assert len(lead) == 1
    row = lead.iloc[0]
    assert row["value"] == "4"
    assert row["sentence"].startswith("群众举报 4 次（2021-06-03至2021-06-24）均指向英塘社区一带、未给出门牌号，需走访确定具体场所：")
    assert "「英塘村半夜有人熬东西」" in row["sentence"]                       # the latest two tips' text
    assert "13812345678" not in row["sentence"]                               # masked before clipping
    assert row["tips"] == ["T1"]                     # carried by the area's first tip
    # each tip still counts for its own premises (vague tips may be about different places)
    others = ev[ev["tips"].map(lambda t: any(k in t for k in ("T2", "T3", "T4")))]
    assert sorted(others["value"]) == ["1", "1", "1"]
    assert not others["sentence"].str.contains("均指向").any()
    lone = ev[ev["tips"].map(lambda t: "T5" in t)].iloc[0]
    assert lone["sentence"].startswith("群众举报 1 次（最近 2021-06-20）：林口村那边晚上有怪味")
    door = ev[ev["tips"].map(lambda t: "T6" in t)].iloc[0]
    assert door["value"] == "1"
    community = con.execute("SELECT community FROM premises p JOIN premises_members m USING (premises_id) "
                            "WHERE m.source_key = 'T1'").fetchone()[0]
    assert community == "英塘"
