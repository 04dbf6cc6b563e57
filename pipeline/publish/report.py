"""report.html — the weekly report (DESIGN §4): what was screened, what changed since the
last run, and how each community's list is being worked through.

Plain HTML with inline styles, no scripts and nothing fetched, so it opens anywhere and
can be printed. Every text cell is HTML-escaped; reporter identity is never read.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from pipeline.config import Config
from pipeline.publish.text import SOURCE_LABELS

HERE = Path(__file__).parent

TITLE = "灵源街道“小化工”风险筛查周报"


def _list_deadline(cfg: Config) -> dt.date | None:
    for phase in cfg.campaign.get("phases", []):
        if phase.get("list_due"):
            due = phase["list_due"]
            return due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due))
    return None


def progress(con, cfg: Config, run_id: int, as_of: dt.date):
    due = _list_deadline(cfg)
    return con.execute((HERE / "progress.sql").read_text(encoding="utf-8"), {
        "run_id": run_id, "as_of": as_of, "overdue": bool(due and as_of > due),
    }).df()


def _table(headers: list[str], rows: list[list]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e('' if v is None else str(v))}</td>" for v in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(con, cfg: Config, run_id: int, as_of: dt.date, out_dir: Path,
                 freshness: dict, lists: dict, left: list[dict], notes: list[str]) -> Path:
    batches = con.execute("""
        SELECT source, count(*), sum(rows_loaded), sum(rows_rejected), max(loaded_at)::DATE
        FROM batches GROUP BY source ORDER BY source""").fetchall()
    new = con.execute("""
        SELECT count(*) FROM visit_lists WHERE run_id = ? AND premises_id NOT IN (
            SELECT premises_id FROM visit_lists WHERE run_id = (SELECT max(run_id) FROM visit_lists WHERE run_id < ?))""",
        [run_id, run_id]).fetchone()[0]
    prog = progress(con, cfg, run_id, as_of)
    def hit(r) -> str:
        seen_inside = r.visited - r.no_access
        return f"{r.found_illegal / seen_inside:.0%}" if seen_inside else "—"

    due = _list_deadline(cfg)
    parts = [
        f"<h1>{html.escape(TITLE)}</h1>",
        f"<p>第 {run_id} 次筛查，数据截至 {as_of}；清单报送期限 {due or '未设置'}。</p>",
        "<h2>本周筛查了什么</h2>",
        _table(["来源", "文件数", "导入行数", "拒收行数", "最近导入"],
               [[SOURCE_LABELS.get(s, s), n, loaded, rej, when] for s, n, loaded, rej, when in batches]),
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>" if notes else "",
        "<h2>清单变化</h2>",
        f"<p>本周上榜 {sum(lists.values())} 处，其中新增 {new} 处；离开清单 {len(left)} 处。</p>",
        _table(["场所编号", "社区", "原风险分", "现风险分", "原因"],
               [[r["premises_id"], r["community"], r["previous_score"], r["score"], r["reason"]] for r in left])
        if left else "",
        "<h2>各社区进度</h2>",
        _table(["工作点", "社区", "上过清单", "已检查", "发现违法违规", "无法进入/未找到", "待检查", "逾期未查", "命中率"],
               [[r.work_point, r.community, r.listed, r.visited, r.found_illegal, r.no_access, r.pending,
                 r.overdue, hit(r)] for r in prog.itertuples()]),
        "<p>命中率 = 发现违法违规 ÷（已检查 − 无法进入/未找到）；无法进入、未找到不计为“未发现问题”。</p>",
    ]
    style = ("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "th,td{border:1px solid #999;padding:4px 8px;text-align:left}th{background:#eee}</style>")
    page = (f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(TITLE)}"
            f"</title>{style}</head><body>{''.join(parts)}</body></html>")
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
