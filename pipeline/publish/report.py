"""report.html — the weekly report (DESIGN §4): what was screened, what changed since the
last run, and how each community's list is being worked through.

Plain HTML with inline styles, no scripts and nothing fetched, so it opens anywhere and
can be printed. Every text cell is HTML-escaped; reporter identity is never read.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from pathlib import Path

from pipeline.config import Config
from pipeline.publish import text as T
from pipeline.publish.text import SOURCE_LABELS

HERE = Path(__file__).parent



def _date(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def _deadline(cfg: Config, key: str) -> dt.date | None:
    """The first phase's date under `key` (list_due, visit_due, report_due), if any."""
    for phase in cfg.campaign.get("phases", []):
        if phase.get(key):
            return _date(phase[key])
    return None


def progress(con, cfg: Config, run_id: int, run_date: dt.date):
    return con.execute((HERE / "progress.sql").read_text(encoding="utf-8"), {
        "run_id": run_id, "run_date": run_date, "visit_due": _deadline(cfg, "visit_due"),
        "grace_days": int(cfg.campaign.get("visit_grace_days", 14)),
    }).df()


def phase_rows(cfg: Config, run_date: dt.date) -> list[list]:
    """Each campaign phase with its state on the run date and its deadlines, days left."""
    rows = []
    for ph in cfg.campaign.get("phases", []):
        start, end = _date(ph.get("start")), _date(ph.get("end"))
        if start and run_date < start:
            state = T.PHASE_NOT_STARTED
        elif end and run_date > end:
            state = T.PHASE_OVER
        else:
            state = T.PHASE_RUNNING
        dues = []
        for key, label in T.DEADLINES.items():
            d = _date(ph.get(key))
            if d:
                left = (d - run_date).days
                dues.append(T.DUE_LEFT.format(label=label, date=d, days=left) if left >= 0
                            else T.DUE_PAST.format(label=label, date=d, days=-left))
        rows.append([ph["name"], start or "", end or "", state, "；".join(dues)])
    return rows


def _table(headers: list[str], rows: list[list]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e('' if v is None else str(v))}</td>" for v in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def deadline_notes(cfg: Config, run_date: dt.date) -> list[str]:
    """Lines for the lists' 说明 sheet: the phase(s) under way and the deadlines still ahead."""
    out = []
    for name, start, end, state, dues in phase_rows(cfg, run_date):
        if state == T.PHASE_RUNNING:
            out.append(T.PHASE_NOW.format(name=name, start=start or "…", end=end or "…"))
        if dues and state != T.PHASE_OVER:
            out += [d for d in dues.split("；") if "还有" in d]
    return out


def _svg_bars(labels: list[str], series: list[tuple[str, list[float], str]], unit: str = "",
              max_value: float | None = None) -> str:
    """A grouped horizontal bar chart as inline SVG (no scripts, prints as drawn)."""
    e = html.escape
    if not labels:
        return ""
    top = max_value or max([max(v) for _, v, _ in series if v] + [1])
    bar, gap, left, width = 12, 10, 110, 420
    group = bar * len(series) + gap
    height = group * len(labels) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{height}" '
             f'font-family="sans-serif" font-size="11">']
    for i, lab in enumerate(labels):
        y0 = i * group
        parts.append(f'<text x="{left - 6}" y="{y0 + bar * len(series) / 2 + 4}" text-anchor="end">{e(str(lab))}</text>')
        for j, (_, values, colour) in enumerate(series):
            v = float(values[i] or 0)
            w = width * v / top if top else 0
            y = y0 + j * bar
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{colour}"/>')
            shown = f"{v:.0%}" if unit == "%" else f"{v:g}"
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 3}">{shown}</text>')
    x = left
    for name, _, colour in series:
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{height - 5}">{e(name)}</text>')
        x += 24 + 12 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def weekly_hit_rates(con, run_date: dt.date):
    return con.execute((HERE / "weekly.sql").read_text(encoding="utf-8"), {"run_date": run_date}).df()


def _model_section(model: dict | None) -> list[str]:
    if not model:
        return []
    e = html.escape
    rows = [["状态", model.get("note", "")],
            ["已检查（可作标签）", f"{model.get('n_labels', 0)} 处，其中查实 {model.get('n_hits', 0)} 处"]]
    if model.get("split_date"):
        rows.append(["时间验证", f"{model['split_date']} 之前的 {model.get('n_train')} 处训练，"
                                 f"之后的 {model.get('n_test')} 处验证"])
    if model.get("precision_rule") is not None:
        rows.append(["后期检查前 k 名命中率", f"k = {model['k']}：规则 {model['precision_rule']:.0%}，"
                                             f"加入模型 {model['precision_model']:.0%}（提升 {model['lift']:+.0%}）"])
        rows.append(["后期检查 AUC", f"规则 {model['auc_rule']:.2f}，加入模型 {model['auc_model']:.2f}"])
        if model.get("auc_rule_random") is not None:
            rows.append(["其中随机抽查（无偏）", T.RANDOM_AUC.format(n=model["n_random_test"], h=model["random_hits_test"],
                                                          r=model["auc_rule_random"], m=model["auc_model_random"])])
        else:
            rows.append(["其中随机抽查（无偏）", T.RANDOM_AUC_NONE.format(n=model.get("n_random_test") or 0,
                                                               h=model.get("random_hits_test") or 0)])
    if model.get("learnt"):
        rows.append(["模型学到的", model["learnt"]])
    return [f"<h2>{e(T.MODEL_TITLE)}</h2>", _table(["项目", "内容"], rows)]


def estimate_line(r: dict | None, min_random: int) -> str:
    """The report's sentence on what is left below the cut, from the random picks' row of
    estimate_hit_rates. Never a bare 0: 0 hits among n random checks bound the number from
    above (the Wilson upper bound × places below the cut), they do not show it is 0; too few
    random checks give no estimate at all."""
    n = int(r["visits"]) if r else 0
    if n == 0 or r.get("missed_high") is None:
        return T.ESTIMATE_NONE
    if n < min_random:
        return T.ESTIMATE_TOO_FEW.format(n=n, m=min_random)
    below, hi = int(r["premises_below_cut"]), math.ceil(r["missed_high"] - 1e-9)
    if int(r["hits"]) == 0:
        return T.ESTIMATE_ZERO.format(n=n, below=below, hi=hi)
    est = r["missed_estimate"]
    return T.ESTIMATE_MISSED.format(below=below, est=f"{est:,.0f}" if est >= 0.5 else T.LESS_THAN_ONE,
                                    lo=math.floor(r["missed_low"] + 1e-9), hi=hi)


def _estimate_section(estimates: list[dict] | None, cfg: Config | None = None) -> list[str]:
    if not estimates:
        return []
    def pct(v):
        return "—" if v is None else f"{v:.0%}"
    rows = [[r["part"], r["visits"], r["hits"], pct(r["rate"]),
             "—" if r["ci_low"] is None else f"{r['ci_low']:.0%}–{r['ci_high']:.0%}"] for r in estimates]
    rnd = [r for r in estimates if r.get("premises_below_cut") is not None]
    learning = cfg.learning if cfg is not None else {}
    line = estimate_line(rnd[0] if rnd else None, int(learning.get("min_random_for_estimate", 10)))
    return ["<h2>清单命中率估计</h2>",
            _table(["上榜方式", "已进门检查", "查实违法违规", "命中率", "95% 区间"], rows),
            f"<p>{html.escape(line)}</p><p>{html.escape(T.ESTIMATE_NOTE)}</p>"]


def _returns_section(con, run_id: int, run_date: dt.date) -> list[str]:
    """Every rejected or warned return of this run (and the still-open ones of earlier runs),
    as written to 拒收明细.xlsx, and the violations whose 整治类别 is still 待补."""
    from pipeline.publish.rejects import REJECTS_FILE, SHEETS, ensure_table

    ensure_table(con)
    totals = dict(con.execute("SELECT sheet, count(*) FROM published_rejects WHERE run_id = ? GROUP BY sheet",
                              [run_id]).fetchall())
    rows = con.execute("""
        SELECT sheet, file_name, src_row, premises_id, inspector, visit_date, "column", value, reason
        FROM published_rejects WHERE run_id = ? AND source = 'outcomes'
        ORDER BY sheet = 'open', sheet, batch_id, src_row, "column", reason""", [run_id]).fetchall()
    pending = [r[0] for r in con.execute("""
        SELECT premises_id FROM stg_outcomes WHERE visit_date <= ?
        QUALIFY row_number() OVER (PARTITION BY premises_id ORDER BY visit_date DESC, batch_id DESC, src_row DESC) = 1
            AND finding = '违法违规' AND category IS NULL
        ORDER BY premises_id""", [run_date]).fetchall()]
    e = html.escape
    out = [f"<h2>{e(T.RETURNS_TITLE)}</h2>",
           f"<p>{e(T.REJECTS_TOTAL.format(rej=totals.get('reject', 0), warn=totals.get('warning', 0), open=totals.get('open', 0), file=REJECTS_FILE))}</p>"]
    if rows:
        out.append(_table(["类别", "文件", "Excel行号", "场所编号", "检查人", "检查日期", "列名", "取值", "原因"],
                          [[SHEETS[r[0]], *r[1:]] for r in rows]))
    else:
        out.append(f"<p>{e(T.RETURNS_NONE)}</p>")
    if pending:
        out.append(f"<p>{e(T.CATEGORY_PENDING_LINE.format(n=len(pending), ids='、'.join(pending)))}</p>")
    return out


def write_report(con, cfg: Config, run_id: int, as_of: dt.date, out_dir: Path,
                 freshness: dict, lists: dict, left: list[dict], notes: list[str],
                 run_date: dt.date | None = None, model: dict | None = None,
                 estimates: list[dict] | None = None) -> Path:
    run_date = run_date or as_of
    batches = con.execute("""
        SELECT source, count(*), sum(rows_loaded), sum(rows_rejected), max(loaded_at)::DATE
        FROM batches GROUP BY source ORDER BY source""").fetchall()
    from pipeline.publish import last_week_run

    new = con.execute("""
        SELECT count(*) FROM visit_lists WHERE run_id = ? AND premises_id NOT IN (
            SELECT premises_id FROM visit_lists WHERE run_id = ?)""",
        [run_id, last_week_run(con, run_id, run_date)]).fetchone()[0]
    prog = progress(con, cfg, run_id, run_date)
    weekly = weekly_hit_rates(con, run_date)

    def rate(found, visited, no_access) -> float | None:
        inside = visited - no_access
        return found / inside if inside else None

    def hit(r) -> str:
        v = rate(r.found_illegal, r.visited, r.no_access)
        return "—" if v is None else f"{v:.0%}"

    due = _deadline(cfg, "list_due")
    labels = list(prog["community"])
    chart_progress = _svg_bars(labels, [("上过清单", list(prog["listed"]), "#9ecae1"),
                                        ("已检查", list(prog["visited"]), "#4292c6"),
                                        ("发现违法违规", list(prog["found_illegal"]), "#d94801")])
    week_rows, week_labels, week_list, week_random = [], [], [], []
    for wk, part in weekly.groupby("week", sort=True):
        by = part.set_index("part")
        cells = []
        for key in ("list", "random", "other"):
            if key in by.index:
                v, h = int(by.loc[key, "visits"]), int(by.loc[key, "hits"])
                cells.append(f"{h}/{v}（{h / v:.0%}）")
            else:
                cells.append("—")
        week_rows.append([f"{wk:%Y-%m-%d} 起", *cells])
        week_labels.append(f"{wk:%m-%d} 周")
        week_list.append(float(by.loc["list", "hits"] / by.loc["list", "visits"]) if "list" in by.index else 0.0)
        week_random.append(float(by.loc["random", "hits"] / by.loc["random", "visits"]) if "random" in by.index else 0.0)
    parts = [
        f"<h1>{html.escape(T.REPORT_TITLE)}</h1>",
        f"<p>第 {run_id} 次筛查，运行日期 {run_date}，数据截至 {as_of}；清单报送期限 {due or '未设置'}。</p>",
        "<h2>阶段与期限</h2>",
        _table(["阶段", "开始", "结束", "状态", "期限"], phase_rows(cfg, run_date)),
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
        f"<p>{html.escape(T.HIT_RATE_NOTE)}</p>",
        f"<p>{html.escape(T.OVERDUE_NOTE.format(grace=int(cfg.campaign.get('visit_grace_days', 14))))}</p>",
        chart_progress,
        "<h2>逐周命中率</h2>",
        _table(["检查周", *[T.PART_NAMES[k] + "（查实/进门）" for k in ("list", "random", "other")]], week_rows)
        if week_rows else "<p>尚无检查结果。</p>",
        _svg_bars(week_labels, [(T.PART_NAMES["list"], week_list, "#4292c6"),
                                (T.PART_NAMES["random"], week_random, "#fd8d3c")], unit="%", max_value=1.0)
        if week_rows else "",
        *_returns_section(con, run_id, run_date),
        *_estimate_section(estimates, cfg),
        *_model_section(model),
    ]
    style = ("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "th,td{border:1px solid #999;padding:4px 8px;text-align:left}th{background:#eee}</style>")
    page = (f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(T.REPORT_TITLE)}"
            f"</title>{style}</head><body>{''.join(parts)}</body></html>")
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
