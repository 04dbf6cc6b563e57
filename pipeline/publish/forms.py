"""The notice's forms, filled from the inspectors' returns (`stg_outcomes`).

Entry point: ``write_forms(con, cfg, out_dir, as_of, unit_name="灵源街道") -> dict``
writes ``附件2_汇总表.xlsx`` (非法违法“小化工”集中攻坚情况汇总表) and
``附件3_排查统计表.xlsx`` (非法违法“小化工”排查统计表), laid out as in the notice: 附件N
line, title merged across the table, 填报单位：…（盖章） / 填报日期：…年…月…日, the bordered
table, 填报人：, and for 附件3 the 整治类别 legend. Each workbook has one sheet for the
subdistrict (named `unit_name`), one per work point of configs/campaign.yaml (in the
order they first appear), one per community, and — when there are any — a 待核实 sheet for
the returns that belong to no configured community: a 场所编号 that is not in `premises`
(warned about in `rejects`, see pipeline.ingest.outcomes.premises_warnings) or a premises
of 未归属社区. A premises belongs to the work point of its community. So every count on the
subdistrict sheet is the sum of the work-point sheets plus 待核实, and equally the sum of
the community sheets plus 待核实: nothing the subdistrict counts is missing below it.

Which return counts: the latest return per premises with 检查日期 ≤ as_of (latest visit
date; a later-loaded file wins on the same date — ingest already replaced it).

Count rules of 附件2 (columns = 整治类别 1–5):
  * 排查总数（家）: premises whose latest finding is 未发现问题 or 违法违规 (actually
    inspected), counted in the column of their suggested category (table `scores`, latest
    run_id, column `category`) and in the column of their found category (the return's
    整治类别); a premises whose two categories differ counts once in each column. The scores
    are those of the run being published (`run_id`), or else of the latest run that finished
    (runs.finished_at set): a crashed run's scores are never used. Visits
    whose latest finding is 无法进入 or 未找到 are not 排查 (nobody saw inside) and are not
    counted: a 说明 line under the table gives how many there are, and how many inspected
    premises have no category at all (counted in no column).
  * 发现违法违规企业数（家）: latest finding 违法违规, in the column of the found category.
  * 责令停产企业数: premises (违法违规) whose measures include 责令停产 or 责令停产整顿;
    原料产品安全处置 / 设备设施拆除 / 立案查处 / 移送司法机关 企业数: those measures by name
    (封闭非法生产装置, 限期拆除 and 没收违法所得 as measures have no row of their own).
  * 没收违法所得（万元）: sum of 没收违法所得(万元) of those premises (0 when none).
All in the column of the found category. A 违法违规 return without a valid 整治类别 is
loaded with a warning (整治类别待补) and counted in a sixth column 整治类别待补, so every
violation found is counted; the 说明 line says how many await their category. Ingest
guarantees that only 违法违规 returns carry measures or confiscations.

附件3 lists the premises whose latest finding is 违法违规, by category then 场所编号:
序号, 单位名称 (premises.name), 地址 (premises.address), 主要负责人 / 联系方式 (legal_rep,
phone of the first registry record of the premises via premises_members), 整治类别,
处置措施 (joined with 、); a violation without category shows 待补 and comes last.

No written text cell starts a formula (safe_cell), and the workbook is opened with
strings_to_formulas off.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import xlsxwriter

from pipeline.publish import safe_cell

log = logging.getLogger(__name__)

FORM2_FILE = "附件2_汇总表.xlsx"
FORM3_FILE = "附件3_排查统计表.xlsx"
FORM2_TITLE = "非法违法“小化工”集中攻坚情况汇总表"
FORM3_TITLE = "非法违法“小化工”排查统计表"
#: the sheet (and 填报单位 suffix) of returns that belong to no configured community
UNRESOLVED_SHEET = "待核实"
UNRESOLVED_UNIT = "（场所编号未识别或未归属社区，待核实）"
#: the column (and 附件3 cell) of a violation whose 整治类别 is still to be filled in
PENDING = "待补"
PENDING_HEADER = "整治类别待补（检查结论为违法违规，回报未填整治类别）"

CATEGORY_HEADERS = (
    "现有化工企业超许可范围生产、储存危险化学品",
    "非化工企业超营业范围、未经许可从事危险化学品生产、储存",
    "无证无照或证照不全生产化工（危险化学品）产品的小企业、小作坊、黑窝点",
    "以挂靠、租赁或“厂中厂”等方式非法违法生产化工产品（危险化学品）的",
    "冠名“生物”“科技”“新材料”等企业，超注册范围生产经营化工产品（危险化学品）",
)
ROW_LABELS = (
    "排查总数（家）",
    "发现违法违规企业数（家）",
    "责令停产企业数（家）",
    "原料产品安全处置企业数（家）",
    "设备设施拆除企业数（家）",
    "立案查处数（家）",
    "没收违法所得（万元）",
    "移送司法机关处理数（家）",
)
#: measure rows of 附件2: row label → measures that count for it
MEASURE_ROWS = {
    "责令停产企业数（家）": ("责令停产", "责令停产整顿"),
    "原料产品安全处置企业数（家）": ("原料产品安全处置",),
    "设备设施拆除企业数（家）": ("设备设施拆除",),
    "立案查处数（家）": ("立案查处",),
    "移送司法机关处理数（家）": ("移送司法机关",),
}
FORM3_HEADERS = ("序号", "单位名称", "地址", "主要负责人", "联系方式", "整治类别", "处置措施")
LEGEND = (
    "整治类别分为：1．现有化工企业超许可范围生产、储存危险化学品；"
    "2．非化工企业超营业范围、未经许可从事危险化学品生产、储存；"
    "3．无证无照或证照不全生产化工产品（危险化学品）的小企业、小作坊、黑窝点，特别是利用乡村、偏僻地点、"
    "废弃养殖场、矿山宕口等从事生产的；"
    "4．以挂靠、租赁或“厂中厂”等方式非法违法生产化工产品（危险化学品）的单位或个人；"
    "5．冠名“生物”“科技”“新材料”、“化工厂”等企业，注册生产经营范围与实际不一致，非法从事化工（危险化学品）生产的行为。"
)
INSPECTED = ("未发现问题", "违法违规")


def _has_table(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [name]).fetchone()[0] > 0


def _scores_run(con, run_id: int | None) -> str:
    """SQL for the run whose suggested categories count: `run_id` when given (the run being
    published, not finished yet), else the latest finished run."""
    if run_id is not None:
        return str(int(run_id))
    if _has_table(con, "runs"):
        return ("(SELECT max(s.run_id) FROM scores s JOIN runs r USING (run_id) "
                "WHERE r.finished_at IS NOT NULL)")
    return "(SELECT max(run_id) FROM scores)"        # a bare warehouse without runs (tests, notebooks)


def latest_outcomes(con, cfg, as_of, run_id: int | None = None) -> list[dict]:
    """One dict per premises: its latest return (≤ as_of) with suggested category, name,
    address, legal_rep, phone, work point and `resolved` (its community is a configured one;
    False for an unknown 场所编号 or a premises of 未归属社区)."""
    has_premises = _has_table(con, "premises")
    has_members = has_premises and _has_table(con, "premises_members")
    has_scores = _has_table(con, "scores")
    prem = ("LEFT JOIN premises p ON p.premises_id = o.premises_id" if has_premises
            else "LEFT JOIN (SELECT NULL::VARCHAR AS premises_id, NULL::VARCHAR AS name, "
                 "NULL::VARCHAR AS address, NULL::VARCHAR AS community) p ON false")
    reg = ("""LEFT JOIN (
                SELECT m.premises_id, arg_min(r.legal_rep, r.source_key) FILTER (WHERE r.legal_rep IS NOT NULL) AS legal_rep,
                       arg_min(r.phone, r.source_key) FILTER (WHERE r.phone IS NOT NULL) AS phone
                FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
                GROUP BY m.premises_id) g ON g.premises_id = o.premises_id""" if has_members
           else "LEFT JOIN (SELECT NULL::VARCHAR AS premises_id, NULL::VARCHAR AS legal_rep, "
                "NULL::VARCHAR AS phone) g ON false")
    sc = (f"""LEFT JOIN (SELECT premises_id, category FROM scores
                        WHERE run_id = {_scores_run(con, run_id)}) s ON s.premises_id = o.premises_id"""
          if has_scores else "LEFT JOIN (SELECT NULL::VARCHAR AS premises_id, NULL::INTEGER AS category) s ON false")
    rows = con.execute(
        f"""
        WITH o AS (
            SELECT * FROM stg_outcomes WHERE visit_date <= $as_of
            QUALIFY row_number() OVER (PARTITION BY premises_id
                                       ORDER BY visit_date DESC, batch_id DESC, src_row DESC) = 1
        )
        SELECT o.premises_id, o.visit_date, o.finding, o.category AS found, o.measures,
               coalesce(o.confiscated_wan, 0) AS confiscated_wan, s.category AS suggested,
               p.premises_id IS NOT NULL AS known, p.name, p.address, p.community, g.legal_rep, g.phone
        FROM o {prem} {reg} {sc}
        ORDER BY o.premises_id
        """,
        {"as_of": as_of},
    ).fetchall()
    cols = ("premises_id", "visit_date", "finding", "found", "measures", "confiscated_wan", "suggested",
            "known", "name", "address", "community", "legal_rep", "phone")
    wp = {c["name"]: c.get("work_point") for c in cfg.communities}
    out = []
    for r in rows:
        d = dict(zip(cols, r))
        d["resolved"] = bool(d["known"]) and d["community"] in wp
        d["work_point"] = wp.get(d["community"]) if d["resolved"] else None
        d["measure_list"] = [m for m in (d["measures"] or "").split("、") if m]
        out.append(d)
    return out


def summary_counts(rows: list[dict]) -> dict:
    """{row label: [value per category 1..5, then 整治类别待补]}."""
    table = {label: [0] * 6 for label in ROW_LABELS}
    for r in rows:
        if r["finding"] not in INSPECTED:
            continue
        pending = r["finding"] == "违法违规" and r["found"] not in (1, 2, 3, 4, 5)
        cols = {c - 1 for c in (r["suggested"], r["found"]) if c in (1, 2, 3, 4, 5)} | ({5} if pending else set())
        for c in cols:
            table["排查总数（家）"][c] += 1
        if r["finding"] != "违法违规":
            continue
        i = 5 if pending else r["found"] - 1
        table["发现违法违规企业数（家）"][i] += 1
        for label, names in MEASURE_ROWS.items():
            if any(m in names for m in r["measure_list"]):
                table[label][i] += 1
        table["没收违法所得（万元）"][i] += float(r["confiscated_wan"] or 0)
    table["没收违法所得（万元）"] = [round(v, 4) for v in table["没收违法所得（万元）"]]
    return table


def _notes(rows: list[dict]) -> str:
    n_in = sum(r["finding"] == "无法进入" for r in rows)
    n_nf = sum(r["finding"] == "未找到" for r in rows)
    n_nocat = sum(r["finding"] == "未发现问题" and r["suggested"] not in (1, 2, 3, 4, 5)
                  and r["found"] not in (1, 2, 3, 4, 5) for r in rows)
    n_pending = sum(r["finding"] == "违法违规" and r["found"] not in (1, 2, 3, 4, 5) for r in rows)
    text = (f"说明：另有无法进入 {n_in} 家、未找到 {n_nf} 家（未计入排查总数，须再次排查）；"
            f"已排查但无整治类别 {n_nocat} 家（未计入各类别）。")
    if n_pending:
        text += f"发现违法违规但整治类别待补 {n_pending} 家（计入“{PENDING}”一栏，请检查人员补填整治类别）。"
    return text


def _date_text(as_of) -> str:
    return f"填报日期：{as_of.year}年{as_of.month}月{as_of.day}日"


def _sheets(rows: list[dict], cfg, unit_name: str) -> list[tuple[str, str, list[dict]]]:
    """[(sheet name, 填报单位, rows)]: the subdistrict, each work point, each community, then
    待核实 (returns of no configured community) when there are any."""
    out = [(unit_name, unit_name, rows)]
    seen = []
    for c in cfg.communities:
        w = c.get("work_point")
        if w and w not in seen:
            seen.append(w)
    for w in seen:
        out.append((w, f"{unit_name}{w}", [r for r in rows if r["work_point"] == w]))
    for c in cfg.communities:
        name = c["name"]
        out.append((name, f"{unit_name}{name}社区", [r for r in rows if r["resolved"] and r["community"] == name]))
    unresolved = [r for r in rows if not r["resolved"]]
    if unresolved:
        out.append((UNRESOLVED_SHEET, f"{unit_name}{UNRESOLVED_UNIT}", unresolved))
    return out


def _formats(wb):
    base = {"font_name": "宋体", "font_size": 11}
    return {
        "title": wb.add_format({**base, "bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "left": wb.add_format({**base, "align": "left", "valign": "vcenter"}),
        "right": wb.add_format({**base, "align": "right", "valign": "vcenter"}),
        "head": wb.add_format({**base, "bold": True, "border": 1, "align": "center", "valign": "vcenter",
                               "text_wrap": True}),
        "cell": wb.add_format({**base, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}),
        "text": wb.add_format({**base, "border": 1, "align": "left", "valign": "vcenter", "text_wrap": True}),
        "wrap": wb.add_format({**base, "text_wrap": True, "valign": "top"}),
    }


def _s(ws, r, c, v, fmt):
    """Write text (never a formula) or a number."""
    if v is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        ws.write_number(r, c, v, fmt)
    else:
        ws.write_string(r, c, str(safe_cell(str(v))), fmt)


def _write_form2(path: Path, sheets, as_of) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime.combine(as_of, dt.time())})   # same inputs, same bytes
    f = _formats(wb)
    for name, unit, rows in sheets:
        ws = wb.add_worksheet(name[:31])
        ws.set_column(0, 0, 26)
        ws.set_column(1, 6, 24)
        _s(ws, 0, 0, "附件2", f["left"])
        ws.merge_range(1, 0, 1, 6, FORM2_TITLE, f["title"])
        ws.set_row(1, 30)
        ws.merge_range(2, 0, 2, 2, safe_cell(f"填报单位：{unit}（盖章）"), f["left"])
        ws.merge_range(2, 3, 2, 6, _date_text(as_of), f["right"])
        ws.set_row(3, 75)
        _s(ws, 3, 0, "", f["head"])
        for j, h in enumerate((*CATEGORY_HEADERS, PENDING_HEADER)):
            _s(ws, 3, j + 1, h, f["head"])
        table = summary_counts(rows)
        for i, label in enumerate(ROW_LABELS):
            _s(ws, 4 + i, 0, label, f["text"])
            for j, v in enumerate(table[label]):
                _s(ws, 4 + i, j + 1, v, f["cell"])
        _s(ws, 13, 0, "填报人：", f["left"])
        ws.merge_range(14, 0, 14, 6, _notes(rows), f["wrap"])
        ws.set_row(14, 30)
    wb.close()


def _write_form3(path: Path, sheets, as_of) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime.combine(as_of, dt.time())})   # same inputs, same bytes
    f = _formats(wb)
    for name, unit, rows in sheets:
        ws = wb.add_worksheet(name[:31])
        for j, w in enumerate((6, 30, 36, 12, 16, 10, 36)):
            ws.set_column(j, j, w)
        _s(ws, 0, 0, "附件3", f["left"])
        ws.merge_range(1, 0, 1, 6, FORM3_TITLE, f["title"])
        ws.set_row(1, 30)
        ws.merge_range(2, 0, 2, 3, safe_cell(f"填报单位：{unit}（盖章）"), f["left"])
        ws.merge_range(2, 4, 2, 6, _date_text(as_of), f["right"])
        for j, h in enumerate(FORM3_HEADERS):
            _s(ws, 3, j, h, f["head"])
        listed = sorted((r for r in rows if r["finding"] == "违法违规"),
                        key=lambda r: (r["found"] if r["found"] in (1, 2, 3, 4, 5) else 9, r["premises_id"]))
        for i, r in enumerate(listed):
            name_text = r["name"] if r["known"] else f"（场所编号 {r['premises_id']}，未在场所清单中）"
            found = r["found"] if r["found"] in (1, 2, 3, 4, 5) else PENDING
            vals = (i + 1, name_text, r["address"], r["legal_rep"], r["phone"], found,
                    "、".join(r["measure_list"]) or None)
            for j, v in enumerate(vals):
                _s(ws, 4 + i, j, v, f["cell"] if j in (0, 5) else f["text"])
        end = 4 + len(listed)
        _s(ws, end + 1, 0, "填报人：", f["left"])
        ws.merge_range(end + 3, 0, end + 3, 6, LEGEND, f["wrap"])
        ws.set_row(end + 3, 60)
    wb.close()


def write_forms(con, cfg, out_dir, as_of, unit_name: str = "灵源街道", run_id: int | None = None) -> dict:
    """Write 附件2 and 附件3 into out_dir; return {file: {sheet: rows}} (附件2: premises
    counted, 附件3: premises listed) and the number of new premises warnings. `run_id`: the
    run being published (its suggested categories); None = the latest finished run."""
    from pipeline.ingest.outcomes import premises_warnings

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    warned = premises_warnings(con) if _has_table(con, "premises") else 0
    rows = latest_outcomes(con, cfg, as_of, run_id)
    sheets = _sheets(rows, cfg, unit_name)
    _write_form2(out_dir / FORM2_FILE, sheets, as_of)
    _write_form3(out_dir / FORM3_FILE, sheets, as_of)
    result = {
        FORM2_FILE: {name: len(rs) for name, _, rs in sheets},
        FORM3_FILE: {name: sum(r["finding"] == "违法违规" for r in rs) for name, _, rs in sheets},
        "premises_warnings": warned,
    }
    log.debug("forms: %d returns → %s, %s", len(rows), FORM2_FILE, FORM3_FILE)
    log.info("汇总表：检查回报 %d 条 → %s、%s", len(rows), FORM2_FILE, FORM3_FILE)
    return result
