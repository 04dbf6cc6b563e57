"""link → signals → score → publish on a handful of inline records, real DuckDB."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.link import build_premises
from pipeline.publish import publish_lists, safe_cell
from pipeline.score import score_premises
from pipeline.signals import compute_evidence
from tests.stagekit import daily_readings, insert, project_config, stg_db

AS_OF = dt.date(2021, 6, 30)


def _world():
    con = stg_db()
    insert(con, "stg_registry", [
        dict(uscc="91350582MA2Y000001", source_key="91350582MA2Y000001", name="晋江市林口鞋业有限公司",
             address="福建省晋江市灵源街道林口社区林口路123号", legal_rep="陈一", phone="13800000001",
             status="存续", industry_code="1921", scope="鞋服生产、销售；化工产品（不含危险化学品）销售"),
        dict(uscc="91350582MA2Y000002", source_key="91350582MA2Y000002", name="晋江市林格鞋业有限公司",
             address="晋江市灵源林格社区林格路5号", legal_rep="=HYPERLINK(\"x\")", phone="13800000002",
             status="存续", industry_code="1921", scope="鞋服生产"),
        dict(uscc="91350582MA2Y000003", source_key="91350582MA2Y000003", name="晋江市灵源宏达新材料科技有限公司",
             address="晋江市灵源街道英塘社区英华路8号", legal_rep="林三", status="存续",
             industry_code="7520", scope="新材料技术开发、技术服务"),
    ])
    insert(con, "stg_power_accounts", [
        # the shoe factory's meter, in the boss's personal name, address written differently
        dict(account_no="3500000001", account_name="张三", address="灵源林口村林口路123号旁",
             category="一般工商业用电", status="正常"),
        dict(account_no="3500000002", account_name="晋江市林格鞋业有限公司", address="林格社区林格路5号",
             category="一般工商业用电", status="正常"),
        # a house in a person's name drawing industrial-level power, no address community
        dict(account_no="3500000003", account_name="李四", address="某某路1号",
             category="居民生活用电", status="正常", lon=118.5901, lat=24.8531),
        dict(account_no="3500000004", account_name="王五", address="大布林社区布林路7号",
             category="居民生活用电", status="正常"),
        dict(account_no="3500000005", account_name="晋江市灵源宏达新材料科技有限公司",
             address="英塘社区英华路8号", category="一般工商业用电", status="正常"),
    ])
    start = "2021-01-01"
    daily_readings(con, "3500000001", start, 181, 80)                              # steady
    daily_readings(con, "3500000002", start, 181, 90)                              # steady
    daily_readings(con, "3500000003", start, 181, 8, 0.7, step_day=140, step_kwh=260)  # surge + night
    daily_readings(con, "3500000004", start, 181, 6)                               # ordinary home
    daily_readings(con, "3500000005", start, 181, 20, 0.3, step_day=150, step_kwh=150)  # cover name + surge
    insert(con, "stg_waybills", [
        dict(waybill_no="W1", consignee="宏达新材料", unload_address="晋江市灵源英塘村英华路8号",
             goods="甲苯", depart_at=dt.datetime(2021, 6, 1, 22, 0)),
    ])
    insert(con, "stg_tips", [
        dict(tip_id="T1", content="+夜里有刺鼻气味，电话13912345678", address="灵源林口村林口路123号",
             received_at=dt.datetime(2021, 6, 20, 9, 0)),
    ])
    insert(con, "tip_reporters", [dict(tip_id="T1", reporter="赵举报", reporter_phone="13912345678")])
    return con


def _run(con, cfg=None):
    cfg = cfg or project_config()
    build_premises(con, cfg)
    compute_evidence(con, cfg, 1, AS_OF)
    score_premises(con, cfg, 1, AS_OF)
    return cfg


def _premises_of(con, source, key):
    return con.execute(
        "SELECT premises_id FROM premises_members WHERE source = ? AND source_key = ?", [source, key]
    ).fetchone()[0]


def test_link_joins_one_place_and_keeps_neighbours_apart():
    con = _world()
    build_premises(con, project_config())
    shoe = _premises_of(con, "registry", "91350582MA2Y000001")
    # personal-name meter at the same address (written 林口村 …旁) is the same place
    assert _premises_of(con, "power_accounts", "3500000001") == shoe
    # the tip names the same address
    assert _premises_of(con, "tips", "T1") == shoe
    # 林口鞋业 and 林格鞋业 are different places
    assert _premises_of(con, "registry", "91350582MA2Y000002") != shoe
    # the waybill's unloading place links to the cover-name firm by address
    assert _premises_of(con, "waybills", "W1") == _premises_of(con, "registry", "91350582MA2Y000003")
    comm = dict(con.execute(
        "SELECT m.source_key, p.community || '/' || p.community_source || '/' || coalesce(p.coord_precision, '') "
        "FROM premises p JOIN premises_members m USING (premises_id) WHERE m.source = 'power_accounts'"
    ).fetchall())
    assert comm == {
        "3500000001": "林口/address/community_centroid",
        "3500000002": "林格/address/community_centroid",
        "3500000003": "大山后/coordinates/meter_gps",     # no community in address; nearest centroid
        "3500000004": "大布林/address/community_centroid",
        "3500000005": "英塘/address/community_centroid",
    }


def test_premises_id_is_stable_when_new_records_arrive():
    con = _world()
    cfg = project_config()
    build_premises(con, cfg)
    before = dict(con.execute("SELECT source || ':' || source_key, premises_id FROM premises_members").fetchall())
    insert(con, "stg_power_accounts", [dict(account_no="3500000099", account_name="新户", address="灵水社区灵安路9号",
                                            category="居民生活用电", status="正常")])
    build_premises(con, cfg)
    after = dict(con.execute("SELECT source || ':' || source_key, premises_id FROM premises_members").fetchall())
    assert {k: after[k] for k in before} == before


def test_signals_fire_where_built_to_and_stay_silent_on_look_alikes():
    con = _world()
    _run(con)
    fired = con.execute(
        "SELECT m.source_key, list(e.signal ORDER BY e.signal) FROM evidence e "
        "JOIN premises_members m USING (premises_id) WHERE m.source IN ('power_accounts') GROUP BY 1"
    ).fetchall()
    fired = dict(fired)
    # the house in a person's name: industrial-level, night-heavy, surging, and unregistered
    assert {"power_industrial_on_residential", "power_surge", "unregistered_power"} <= set(fired["3500000003"])
    assert "power_surge" in fired["3500000005"] and "waybill_unlicensed" in fired["3500000005"]
    assert "3500000004" not in fired          # ordinary home: nothing
    assert "3500000002" not in fired          # steady shoe factory, no chemical words: nothing
    # "化工产品（不含危险化学品）" excludes chemicals: no registry_chemical for the shoe firm
    assert fired["3500000001"] == ["tip"]
    sentence = con.execute(
        "SELECT sentence FROM evidence WHERE signal = 'power_surge' AND premises_id = "
        "(SELECT premises_id FROM premises_members WHERE source_key = '3500000003')"
    ).fetchone()[0]
    assert sentence.startswith("近4周日均 260 kWh，为此前12周的 32.5 倍")


def test_corroborating_sources_outscore_one_source_and_ties_break_by_id():
    con = _world()
    _run(con)
    s = dict(con.execute(
        "SELECT m.source_key, s.score FROM scores s JOIN premises_members m USING (premises_id) "
        "WHERE m.source = 'power_accounts'").fetchall())
    # corroboration: each of these two places has evidence from several offices and
    # outscores what its strongest single office alone would give
    ev = con.execute(
        "SELECT m.source_key, e.family, sum(e.strength * w.weight) FROM evidence e "
        "JOIN ref_signal_weights w USING (signal) JOIN premises_members m USING (premises_id) "
        "WHERE m.source = 'power_accounts' GROUP BY ALL").fetchall()
    for acct in ("3500000005", "3500000003"):
        best_single = max(p for a, f, p in ev if a == acct)
        assert s[acct] > best_single or s[acct] == 100.0
    cat = dict(con.execute(
        "SELECT m.source_key, s.category FROM scores s JOIN premises_members m USING (premises_id) "
        "WHERE m.source = 'power_accounts'").fetchall())
    assert cat["3500000005"] == 5 and cat["3500000003"] == 3
    ranks = con.execute("SELECT premises_id, score, rank FROM scores WHERE run_id = 1 ORDER BY rank").fetchall()
    for (p1, s1, r1), (p2, s2, r2) in zip(ranks, ranks[1:]):
        assert s1 > s2 or (s1 == s2 and p1 < p2)


def test_lists_have_design_columns_one_file_per_community_and_no_formulas(tmp_path):
    con = _world()
    cfg = _run(con)
    counts = publish_lists(con, cfg, 1, tmp_path)
    assert set(counts) == {c["name"] for c in cfg.communities}
    for name in counts:
        raw = (tmp_path / f"visit_list_{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
    ranking = pd.read_csv(tmp_path / "ranking.csv", encoding="utf-8-sig", dtype=str)
    assert list(ranking.columns) == [
        "排名", "社区", "工作点", "场所编号", "名称", "地址", "统一社会信用代码", "用电户号",
        "主要负责人", "联系电话", "风险分", "建议整治类别", "主要依据", "经度", "纬度", "本周新增"]
    assert ranking["排名"].tolist() == [str(i) for i in range(1, len(ranking) + 1)]
    text = "\n".join(p.read_text(encoding="utf-8-sig") for p in tmp_path.glob("*.csv"))
    assert "赵举报" not in text and "13912345678" not in text
    for cell in ranking.fillna("").to_numpy().ravel():
        assert not str(cell).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-5") == "'-5" and safe_cell("林口") == "林口"
    xl = pd.read_excel(tmp_path / "visit_lists.xlsx", sheet_name=None, engine="calamine")
    assert set(xl) == set(counts) | {"说明"}


def test_licensed_receiver_is_discounted_visibly_and_categories_follow_the_shape(tmp_path):
    con = _world()
    # a licensed solvent trader receiving a solvent its licence does not name
    insert(con, "stg_registry", [dict(uscc="91350582MA2Y000009", source_key="91350582MA2Y000009",
                                      name="晋江市灵源永盛化工贸易有限公司", address="晋江市灵源街道灵水社区灵安路9号",
                                      status="存续", industry_code="5162", scope="危险化学品经营(凭许可证经营)")])
    insert(con, "stg_licenses", [dict(license_no="闽泉危化经字〔2020〕0123号", name="晋江市灵源永盛化工贸易有限公司",
                                      uscc="91350582MA2Y000009", license_type="经营许可", scope="甲苯,丙酮",
                                      valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2023, 1, 1),
                                      address="灵水社区灵安路9号")])
    insert(con, "stg_waybills", [dict(waybill_no=f"L{i}", consignee="永盛化工贸易", consignee_uscc="91350582MA2Y000009",
                                      unload_address="灵水社区灵安路9号", goods="丁酮",   # not in its licence
                                      depart_at=dt.datetime(2021, 6, 1 + i, 22, 0)) for i in range(3)])
    cfg = _run(con)
    row = con.execute(
        "SELECT s.category, s.discount_note FROM scores s JOIN premises_members m USING (premises_id) "
        "WHERE m.source = 'registry' AND m.source_key = '91350582MA2Y000009'").fetchone()
    assert row[0] == 1
    assert row[1].startswith("持有有效危化品许可（闽泉危化经字〔2020〕0123号）")
    publish_lists(con, cfg, 1, tmp_path)
    ranking = pd.read_csv(tmp_path / "ranking.csv", encoding="utf-8-sig", dtype=str)
    reasons = ranking.loc[ranking["名称"] == "晋江市灵源永盛化工贸易有限公司", "主要依据"].iloc[0]
    assert "用电/运输证据按 50% 计分" in reasons
    cats = dict(con.execute(
        "SELECT m.source_key, s.category FROM scores s JOIN premises_members m USING (premises_id) "
        "WHERE m.source = 'power_accounts'").fetchall())
    assert cats["3500000005"] == 5        # cover name with production evidence
    assert cats["3500000003"] == 3        # unregistered house drawing industrial power
    assert cats["3500000004"] is None     # an ordinary home: no category


def test_equal_scores_rank_by_premises_id():
    con = stg_db()
    cfg = project_config()
    insert(con, "stg_tips", [dict(tip_id=f"T{i}", content="晚上有刺鼻气味", address=f"林口社区林口路{i}号",
                                  received_at=dt.datetime(2021, 6, 20)) for i in (3, 1, 2)])
    _run(con, cfg)
    rows = con.execute("SELECT premises_id, score, rank FROM scores ORDER BY rank").fetchall()
    assert len({r[1] for r in rows}) == 1                      # all tied
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # broken by premises_id


def test_premises_that_leave_the_list_are_reported_with_the_reason(tmp_path):
    from pipeline.publish import left_the_list

    con = _world()
    cfg = _run(con)
    cfg.scoring["min_score_for_list"] = 1
    # no random picks: in this small world the shoe shop, with no evidence left, would be drawn
    cfg.scoring["random_min_per_list"] = 0
    publish_lists(con, cfg, 1, tmp_path / "w1", as_of=AS_OF)
    shoe = con.execute("SELECT premises_id FROM premises_members WHERE source_key = '3500000001'").fetchone()[0]
    house = con.execute("SELECT premises_id FROM premises_members WHERE source_key = '3500000003'").fetchone()[0]
    listed1 = {r[0] for r in con.execute("SELECT premises_id FROM visit_lists WHERE run_id = 1").fetchall()}
    assert {shoe, house} <= listed1
    con.execute("DELETE FROM stg_tips")             # next week: the tip-off is withdrawn
    insert(con, "stg_outcomes", [dict(premises_id=house, visit_date=dt.date(2021, 6, 29), finding="违法违规",
                                      category=3)])  # and the house has been inspected
    build_premises(con, cfg)
    compute_evidence(con, cfg, 2, AS_OF)
    score_premises(con, cfg, 2, AS_OF)
    publish_lists(con, cfg, 2, tmp_path / "w2", as_of=AS_OF)
    left = {r["premises_id"]: r["reason"] for r in left_the_list(con, cfg, 2, AS_OF)}
    assert left == {shoe: "本周已无任何证据", house: "已检查（2021-06-29，结论：违法违规）"}


def test_weekly_report_counts_each_communitys_progress(tmp_path):
    from pipeline.publish.report import progress, write_report

    con = _world()
    cfg = _run(con)
    cfg.scoring["min_score_for_list"] = 1
    publish_lists(con, cfg, 1, tmp_path / "lists", as_of=AS_OF)
    listed = con.execute("SELECT premises_id, community FROM visit_lists WHERE run_id = 1 "
                         "ORDER BY community, list_rank").fetchall()
    (p1, c1), (p2, c2) = listed[0], listed[1]
    insert(con, "stg_outcomes", [
        dict(premises_id=p1, visit_date=dt.date(2021, 6, 20), finding="未发现问题"),
        dict(premises_id=p1, visit_date=dt.date(2021, 6, 28), finding="违法违规", category=3),   # later return wins
        dict(premises_id=p2, visit_date=dt.date(2021, 6, 29), finding="无法进入"),
        dict(premises_id=p2, visit_date=dt.date(2021, 7, 9), finding="违法违规", category=2),    # after the run date
    ])
    prog = progress(con, cfg, 1, AS_OF).set_index("community")
    n_listed = {c: sum(1 for _, cc in listed if cc == c) for c in {c1, c2}}
    got = {c: tuple(int(prog.loc[c, k]) for k in ("listed", "visited", "found_illegal", "no_access", "pending", "overdue"))
           for c in {c1, c2}}
    expect = {}
    for c in {c1, c2}:
        visited = (c == c1) + (c == c2)
        # a visit that could not get in leaves the premises pending: it has to be visited again
        expect[c] = (n_listed[c], visited, int(c == c1), int(c == c2), n_listed[c] - int(c == c1), 0)
    assert got == expect
    page = write_report(con, cfg, 1, AS_OF, tmp_path, {}, {c1: 1}, [], ["<b>注意</b>"]).read_text(encoding="utf-8")
    assert "各社区进度" in page and "&lt;b&gt;注意&lt;/b&gt;" in page and "<b>注意</b>" not in page
