"""`python -m pipeline` — the one entry point (DESIGN §7). Messages to the user are Chinese."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path

from pipeline.errors import UserError

log = logging.getLogger("pipeline")

DEFAULT_INBOX = Path("data/inbox")
DEFAULT_DB = Path("data/warehouse.duckdb")
DEFAULT_OUT = Path("data/out")
DEMO_DIR = Path("data/demo")


def _date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD，例如 2021-07-05（收到 {s!r}）") from None


def _setup_logging(verbose: bool) -> None:
    # INFO and above is what the user reads (Chinese); DEBUG is the developers' English log.
    # -v opens our own debug lines, not every library's.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr)
    logging.getLogger("pipeline").setLevel(logging.DEBUG if verbose else logging.INFO)


def _source_titles() -> dict[str, str]:
    """Each source's Chinese title (configs/sources/<source>.yaml `title`), for help texts and
    summaries; the shipped configs when the working directory has none."""
    import yaml

    from pipeline.ingest import SOURCES

    for cdir in (Path("configs"), Path(__file__).resolve().parents[1] / "configs"):
        if (cdir / "sources").is_dir():
            break
    titles = {}
    for s in SOURCES:
        try:
            titles[s] = str(yaml.safe_load((cdir / "sources" / f"{s}.yaml").read_text(encoding="utf-8"))["title"])
        except (OSError, yaml.YAMLError, TypeError, KeyError):
            titles[s] = s   # the config check names the broken file; help still lists the source
    return titles


def _inbox_is_empty(inbox: Path) -> bool:
    return not inbox.exists() or not any(p.is_file() for p in inbox.rglob("*") if not p.name.startswith("."))


# What each output file is, for the run's closing summary; a file of the out folder with no
# label here is still listed (as 其他输出), so a new output shows up by itself.
OUTPUT_LABELS = {
    "report.html": "本周报告",
    "visit_lists.xlsx": "各社区走访清单（Excel，每个社区一页）",
    "ranking.csv": "全街道排名",
    "link_candidates.csv": "疑似同一场所待确认",
    "附件2_汇总表.xlsx": "附件2 集中攻坚情况汇总表",
    "附件3_排查统计表.xlsx": "附件3 排查统计表",
    "拒收明细.xlsx": "拒收明细（未导入和有疑问的行）",
    "manifest.json": "运行记录",
}


def _output_lines(out_dir: Path, decisions) -> list[str]:
    """One Chinese line per output of the run, each with its path; the per-community CSVs as
    one line naming the folder and how many there are."""
    files = sorted(p for p in out_dir.iterdir() if p.is_file())
    csvs = [p for p in files if p.name.startswith("visit_list_") and p.suffix == ".csv"]
    known = [p for name in OUTPUT_LABELS for p in files if p.name == name]
    other = [p for p in files if p not in csvs and p not in known]
    lines = []
    for p in known:
        line = f"  {OUTPUT_LABELS[p.name]}：{p}"
        if p.name == "link_candidates.csv":
            line += f"（填写“决定”列后放入 {decisions or 'data/decisions/'}）"
        lines.append(line)
        if p.name == "visit_lists.xlsx" and csvs:
            lines.append(f"  各社区走访清单（CSV，{len(csvs)} 份）：{out_dir}/visit_list_<社区>.csv，"
                         f"如 {csvs[0]}")
    lines += [f"  其他输出：{p}" for p in other]
    return lines


def cmd_screen(a) -> int:
    from pipeline.screen import screen

    inbox, db, out = a.inbox, a.db, a.out
    if a.demo_if_empty and _inbox_is_empty(inbox):
        from pipeline.simulate.campaign import WORLD_RUN_DATE

        # Demo records live in their own folder and warehouse, never in the real ones.
        demo = DEMO_DIR
        if not (demo / "inbox").exists():
            from pipeline.simulate import simulate

            log.info("收件箱 %s 为空：生成演示街道数据到 %s …", inbox, demo)
            simulate(demo, seed=7, scale="demo")
        inbox, db, out = demo / "inbox", demo / "warehouse.duckdb", demo / "out"
        a.decisions = demo / "decisions"
        # the demo world is dated 2021: it is screened as of its own calendar, a real inbox as of today
        if a.date is None:
            a.date = WORLD_RUN_DATE
        log.info("使用演示数据（模拟的灵源街道，运行日期按演示街道的日历 %s）：%s", a.date, inbox)
    res = screen(inbox, db, out, as_of=a.as_of, config_dir=a.config, decisions_dir=a.decisions, run_date=a.date)
    refused = [v for v in res.verdicts if v.status == "refused"]
    print(f"\n筛查完成（第 {res.run_id} 次运行，运行日期 {res.run_date}，数据截至 {res.as_of}）。")
    if res.model.get("note"):
        print(f"走访结果学习：{res.model['note']}")
    print(f"本次输出（文件夹 {res.out_dir}）：")
    for line in _output_lines(res.out_dir, a.decisions):
        print(line)
    print("各社区清单场所数：")
    for name, n in res.lists.items():
        print(f"  {name}：{n} 处")
    if refused:
        print(f"注意：{len(refused)} 个文件未导入，原因见上方提示。")
    return 0


def cmd_ingest(a) -> int:
    from pipeline import config as config_mod
    from pipeline.db import connect
    from pipeline.ingest import SOURCES, check_file, ingest_files, reject_lines

    if a.source not in SOURCES:
        raise UserError(f"未知数据来源 {a.source}，应为：{'、'.join(SOURCES)}")
    config_mod.load(a.config)
    # the verdict lines are this command's output; the library's log of them would repeat them
    quiet = logging.getLogger("pipeline.ingest")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        if a.check:
            # verdict only: an in-memory database, the warehouse is not even opened
            verdicts = [check_file(a.source, Path(f), a.config) for f in a.files]
            print("（仅检查：没有导入数据库，也没有存档；确认无误后去掉 --check 再导入）")
        else:
            con = connect(a.db)
            try:
                verdicts = ingest_files(con, a.source, [Path(f) for f in a.files], a.config,
                                        a.db.parent / "archive")
                for v in verdicts:
                    if v.status == "loaded":
                        v.details = reject_lines(con, v.batch_id)
            finally:
                con.close()
    finally:
        quiet.setLevel(level)
    for v in verdicts:
        print(v.message)
        for line in v.details:
            print(line)
    return 1 if any(v.status == "refused" for v in verdicts) else 0


def cmd_simulate(a) -> int:
    from pipeline.simulate import simulate

    summary = simulate(a.out, seed=a.seed, scale=a.scale, shape=a.shape, vary=a.vary)
    # the list sources' titles, for a checkout whose ingest does not know them yet
    titles = {"registry_list": "市场监管所排查名单", "power_surge_list": "电量激增清单", "track_alarms": "危货车辆报警",
              **_source_titles()}
    shape = {"raw": "原始数据", "lists": "各部门清单", "mixed": "原始数据＋各部门清单"}[a.shape]
    varied = "，各项假设按种子抽取（见 truth/vary.json）" if a.vary else ""
    print(f"已生成模拟街道（seed={a.seed}，规模 {a.scale}，数据形态 {shape}{varied}）：{a.out}/inbox，真值在 {a.out}/truth")
    print(f"  场所 {summary['places']} 处，其中埋设违法场所 {summary['planted']} 处、合法相似场所 "
          f"{summary['lookalikes']} 处；文件 {summary['files']} 个")
    print("  埋设场所按整治类别：" + "，".join(f"类别 {c} {n} 处" for c, n in summary["planted_by_category"].items()))
    print("  各来源记录数：" + "，".join(f"{titles.get(k, k)} {v}" for k, v in summary["counts"].items()))
    return 0


def cmd_simulate_returns(a) -> int:
    from pipeline.simulate.returns import inspector_returns

    if a.lists is None:
        out_root = a.db.parent / "out"
        runs = sorted(p for p in out_root.iterdir() if p.is_dir()) if out_root.exists() else []
        if not runs:
            raise UserError("找不到走访清单：请用 --lists 指定清单所在文件夹")
        a.lists = runs[-1]
    out = a.out or a.world / "inbox" / "outcomes" / f"检查结果回报_{a.date.isoformat()}.csv"
    df = inspector_returns(a.db, a.world / "truth", a.lists, out, a.date, seed=a.seed)
    print(f"已生成模拟检查回报 {len(df)} 条：{out}")
    for k, v in df["检查结论"].value_counts().items():
        print(f"  {k}：{v}")
    return 0


CAMPAIGN_COLUMNS = {
    "week": "周", "run_date": "清单日期", "inside": "进门检查", "hits": "查实", "list_inside": "按分上榜·进门",
    "list_hits": "按分上榜·查实", "rnd_inside": "随机抽查·进门", "rnd_hits": "随机抽查·查实",
    "model": "模型状态", "lift": "模型提升", "missed_estimate": "清单外违法估计", "planted_below_truth": "清单外违法（真值）",
}


def _cell(v) -> str:
    """A campaign table cell as the user reads it: "—" for what a week has not got (the last
    week has no visits, the model no lift yet), whole numbers without decimals."""
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:.0f}" if v.is_integer() else f"{v:.2f}"
    return str(v)


def _campaign_table(df):
    from pipeline.learn.text import STATUS_NAMES

    shown = df[[c for c in CAMPAIGN_COLUMNS if c in df.columns]].copy()
    if "model" in shown:
        shown["model"] = shown["model"].map(lambda s: STATUS_NAMES.get(s, s) if isinstance(s, str) else s)
    return shown.astype(object).apply(lambda col: col.map(_cell)).rename(columns=CAMPAIGN_COLUMNS)


def cmd_simulate_campaign(a) -> int:
    import pandas as pd

    from pipeline.simulate.campaign import WORLD_RUN_DATE, run_campaign

    if not (a.world / "truth").exists():
        raise UserError(f"{a.world} 不是模拟世界（缺少 truth/）：请先运行 python -m pipeline simulate --out {a.world}")
    tables = []
    for learning in ((True, False) if a.compare else (not a.no_learning,)):
        label = "有学习" if learning else "无学习"
        df = run_campaign(a.world, a.work / ("learn" if learning else "rules"), weeks=a.weeks,
                          per_community=a.visits, learning=learning, start=a.start or WORLD_RUN_DATE, seed=a.seed, config_dir=a.config)
        df.insert(0, "variant", label)
        tables.append(df)
        print(f"\n模拟专项行动（{label}，每社区每周走访 {a.visits} 处）")
        print(_campaign_table(df).to_string(index=False))
        done = df.dropna(subset=["inside"])
        print(f"合计：进门检查 {int(done['inside'].sum())} 处，查实 {int(done['hits'].sum())} 处，"
              f"命中率 {done['hits'].sum() / max(1, done['inside'].sum()):.0%}")
    out = a.work / "campaign.csv"
    pd.concat(tables, ignore_index=True).to_csv(out, index=False, encoding="utf-8-sig")
    print(f"\n逐周数字：{out}")
    return 0


def cmd_evaluate(a) -> int:
    import duckdb
    import pandas as pd

    from pipeline.evaluate import (latest_finished_run, link_metrics, pad, print_link_metrics,
                                   print_signal_metrics, signal_metrics)
    from pipeline.evaluate_ranking import KS, RANKING_NAMES, baseline_rankings, ranking_report

    if not a.db.exists():
        raise UserError(f"数据库 {a.db} 不存在：请先运行 screen")
    con = duckdb.connect(str(a.db), read_only=True)
    latest = latest_finished_run(con)
    if latest is None:
        raise UserError(f"数据库 {a.db} 中没有完成的运行：请先运行 screen")
    run_id, as_of = latest     # never a run that crashed before its outputs were complete
    print_link_metrics(link_metrics(con, a.truth))
    print()
    print_signal_metrics(signal_metrics(con, a.truth, run_id))
    if a.ranking is not None:
        r = pd.read_csv(a.ranking, encoding="utf-8-sig", dtype={"场所编号": str})
        ours = pd.DataFrame({"premises_id": r["场所编号"], "score": r["风险分"].astype(float),
                             "suggested": r["建议整治类别"]})
    else:
        ours = con.execute("SELECT premises_id, score, category AS suggested FROM scores "
                           "WHERE run_id = ? AND score > 0", [run_id]).df()
    rankings = {"chemsieve": ours, **baseline_rankings(con, as_of)}
    reports = {name: ranking_report(con, a.truth, df, as_of) for name, df in rankings.items()}
    print(f"\n排名评估（第 {run_id} 次运行，截至 {as_of}；并列按随机顺序取期望值）")
    cols = [(f"found@{k}", f"前{k}名找到") for k in KS] + [
        ("recall@5%", "前5%召回率"), ("visits_for_50%", "找到半数需走访"), ("visits_for_80%", "找到八成需走访")]
    print(pad("排名", 24) + "".join(pad(h, 16, True) for _, h in cols))
    for name, rep in reports.items():
        cells = []
        for c, _ in cols:
            v = rep.get(c)
            cells.append(pad("—" if v is None else f"{v:.2f}" if isinstance(v, float) else v, 16, True))
        print(pad(RANKING_NAMES.get(name, name), 24) + "".join(cells))
    ours_rep = reports["chemsieve"]
    n = ours_rep["n_planted"]
    print(f"\n埋设场所 {n} 处，场所共 {ours_rep['n_premises']} 个，5% = 前 {ours_rep['k_5pct']} 名")
    if "category_accuracy" in ours_rep:
        print(f"建议整治类别准确率（前 5% 中找到的埋设场所）：{ours_rep['category_accuracy']:.3f}")
    best = max((rep["found@50"] for name, rep in reports.items() if name not in ("chemsieve", "random")), default=0)
    print(f"k=50：chemsieve {ours_rep['found@50']:.1f} 处，最佳单一来源清单 {best:.1f} 处"
          f"（{ours_rep['found@50'] / best:.2f} 倍）" if best else "")
    print("各社区 AUC（埋设场所 对 合法相似场所）：" + "，".join(
        f"{c} {v:.2f}" for c, v in sorted(ours_rep["auc_by_community"].items())))
    return 0


def cmd_evaluate_shapes(a) -> int:
    from pipeline.evaluate_shapes import SHAPES, evaluate_shapes, table_lines, worst_case

    shapes = [x.strip() for x in a.shapes.split(",") if x.strip()]
    bad = [x for x in shapes if x not in SHAPES]
    if bad:
        raise UserError(f"未知数据形态 {'、'.join(bad)}，可选：{','.join(SHAPES)}")
    per_seed = {}
    for seed in a.seed:
        figs = evaluate_shapes(a.work, seed, a.scale, shapes, a.config)
        per_seed[seed] = figs
        n = next(iter(figs.values()))
        print(f"\n种子 {seed}（埋设 {n['n_planted']} 处，场所约 {n['n_premises']} 个，5% = 前 {n['k_5pct']} 名）")
        for line in table_lines(figs):
            print("  " + line)
        for shape, f in figs.items():
            if f["unlisted_places"]:
                print(f"  {shape}：有证据但未上清单的埋设场所 {'、'.join(f['unlisted_places'])}")
    if len(per_seed) > 1:
        print(f"\n最差情况（{len(per_seed)} 个种子，各项分别取最差）")
        for line in table_lines(worst_case(per_seed)):
            print("  " + line)
    return 0


def cmd_evaluate_vary(a) -> int:
    from pipeline.evaluate_vary import evaluate_vary, summary_rows, table_lines, write_figures

    if a.worlds < 1:
        raise UserError("--worlds 至少为 1")
    print(f"在 {a.worlds} 个参数各异的模拟世界上评估（种子 {a.seed0}–{a.seed0 + a.worlds - 1}，规模 {a.scale}，"
          f"数据形态 {a.shape}）；每个世界各自生成、从空库筛查，约需 {a.worlds} 分钟")
    rows = evaluate_vary(a.work, a.worlds, a.seed0, a.scale, a.shape, a.config)
    summary = summary_rows(rows)
    n = next((r for r in rows if not r.get("error")), None)
    if n:
        print(f"每个世界埋设约 {n['n_planted']} 处，场所约 {n['n_premises']} 个，5% = 前 {n['k_5pct']} 名；"
              "最差情况各项分别取最差")
    for line in table_lines(rows, summary):
        print("  " + line)
    csv_path, json_path = write_figures(a.work, rows, summary)
    print(f"数字已写入 {csv_path} 与 {json_path}")
    failed = [r["seed"] for r in rows if r.get("error")]
    if failed:
        print(f"筛查失败的世界：种子 {'、'.join(str(s) for s in failed)}（详见上方错误）")
        return 1
    return 0


class _ChineseHelp(argparse.HelpFormatter):
    # wide enough that no option or subcommand name stands alone on an untranslated line
    def __init__(self, prog, indent_increment=2, max_help_position=32, width=None):
        super().__init__(prog, indent_increment, max_help_position, width)
        self._action_max_length = 24     # the subcommand names (simulate-campaign) are not counted otherwise

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


_METAVARS = {"config": "文件夹", "inbox": "文件夹", "db": "数据库文件", "out": "文件夹", "as-of": "日期",
             "date": "日期", "decisions": "文件夹", "world": "文件夹", "lists": "文件夹", "seed": "种子",
             "work": "文件夹", "weeks": "周数", "visits": "处数", "start": "日期", "truth": "文件夹",
             "ranking": "文件"}


class _Parser(argparse.ArgumentParser):
    """argparse with its own words in Chinese too (用法, 参数, 选项, -h), for every subcommand."""

    def __init__(self, *args, **kw):
        kw.setdefault("formatter_class", _ChineseHelp)
        kw["add_help"] = False
        super().__init__(*args, **kw)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def add_argument(self, *args, **kw):
        # Chinese placeholders in the usage and option lines (--date 日期, not --date DATE)
        if args and args[0].startswith("-") and kw.get("action") in (None, "store") and "choices" not in kw:
            kw.setdefault("metavar", _METAVARS.get(args[-1].lstrip("-"), "值"))
        return super().add_argument(*args, **kw)

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：命令行有误（{message}）；加 -h 查看用法\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m pipeline", description="chemsieve：“小化工”风险筛查")
    p.add_argument("-v", "--verbose", action="store_true", help="显示调试信息")
    p.add_argument("--config", type=Path, default=Path("configs"), help="配置目录（默认 configs）")
    sub = p.add_subparsers(dest="cmd", required=True, title="子命令", metavar="子命令")

    s = sub.add_parser("screen", help="导入收件箱中的新文件并生成走访清单")
    s.add_argument("--inbox", type=Path, default=DEFAULT_INBOX, help=f"收件箱文件夹（默认 {DEFAULT_INBOX}）")
    s.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"数据库文件（默认 {DEFAULT_DB}）")
    s.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"输出文件夹，每次运行一个日期子文件夹（默认 {DEFAULT_OUT}）")
    s.add_argument("--as-of", type=_date, default=None, help="数据截至日期（默认：数据中最新日期）")
    s.add_argument("--date", type=_date, default=None,
                   help="运行日期：检查结果算到这一天，期限和数据新旧按这一天判断（默认：今天；--demo-if-empty 用演示街道时为演示街道的日期）")
    s.add_argument("--decisions", type=Path, default=None,
                   help="分析员的场所归并决定文件夹（默认见配置 linking.yaml）")
    s.add_argument("--demo-if-empty", action="store_true",
                   help="收件箱为空时，生成并筛查演示街道（数据放在 data/demo/）")
    s.set_defaults(func=cmd_screen)

    titles = _source_titles()
    i = sub.add_parser("ingest", help="导入某一来源的文件，逐个文件给出结论（加 --check 只检查、不导入）",
                       description="导入某一来源的文件。数据来源：" + "；".join(f"{k}（{v}）" for k, v in titles.items()))
    i.add_argument("source", metavar="来源", help="数据来源，可选：" + "、".join(f"{k}（{v}）" for k, v in titles.items()))
    i.add_argument("files", nargs="+", metavar="文件", help="要导入的文件（可多个）")
    i.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"数据库文件（默认 {DEFAULT_DB}）")
    i.add_argument("--check", action="store_true",
                   help="只检查、给出结论（读取/可导入/拒收行数与前几条拒收原因），不导入数据库、不存档")
    i.set_defaults(func=cmd_ingest)

    m = sub.add_parser("simulate", help="生成模拟街道数据（演示与测试用）")
    m.add_argument("--out", type=Path, default=DEMO_DIR, help=f"模拟世界写入的文件夹（默认 {DEMO_DIR}）")
    m.add_argument("--seed", type=int, default=7, help="随机种子：同一种子生成同样的世界（默认 7）")
    m.add_argument("--scale", choices=["demo", "tiny", "city"], default="demo",
                   help="规模：demo 演示街道、tiny 测试用小世界、city 全市规模（默认 demo）")
    m.add_argument("--shape", choices=["raw", "lists", "mixed"], default="raw",
                   help="各部门交来的数据形态：raw 原始数据（用户档案、日用电量、车辆轨迹）、lists 只有各部门清单"
                        "（月度电费、电量激增清单、车辆报警、市场监管所排查名单）、mixed 两者都有（默认 raw；"
                        "lists/mixed 只支持 demo 与 tiny 规模）")
    m.add_argument("--vary", action="store_true",
                   help="按种子在记录范围内抽取这个世界的各项行为假设（户名、地址写法、信号强弱、来源缺失等），"
                        "抽到的数值写入 truth/vary.json（只支持 demo 与 tiny 规模）")
    m.set_defaults(func=cmd_simulate)

    r = sub.add_parser("simulate-returns", help="模拟检查人员按清单走访并回报结果（演示与测试用）")
    r.add_argument("--world", type=Path, default=DEMO_DIR, help="模拟世界目录（含 truth/）")
    r.add_argument("--db", type=Path, default=DEMO_DIR / "warehouse.duckdb",
                   help=f"数据库文件（默认 {DEMO_DIR / 'warehouse.duckdb'}）")
    r.add_argument("--lists", type=Path, default=None, help="走访清单所在文件夹（默认：最近一次输出）")
    r.add_argument("--date", type=_date, required=True, help="检查日期 YYYY-MM-DD")
    r.add_argument("--out", type=Path, default=None, help="默认写入 <world>/inbox/outcomes/")
    r.add_argument("--seed", type=int, default=7, help="随机种子（默认 7）")
    r.set_defaults(func=cmd_simulate_returns)

    c = sub.add_parser("simulate-campaign", help="模拟数周的专项行动：筛查→走访→回报→再筛查（演示与评估用）")
    c.add_argument("--world", type=Path, default=DEMO_DIR, help="模拟世界目录（含 inbox/ 与 truth/）")
    c.add_argument("--work", type=Path, default=Path("data/campaign"), help="工作目录（会被清空重建）")
    c.add_argument("--weeks", type=int, default=6, help="模拟的周数（默认 6）")
    c.add_argument("--visits", type=int, default=5, help="每个社区每周走访场所数")
    c.add_argument("--start", type=_date, default=None, help="第一周清单日期（默认：演示街道的日期）")
    c.add_argument("--seed", type=int, default=7, help="随机种子（默认 7）")
    c.add_argument("--no-learning", action="store_true", help="不使用走访结果学习")
    c.add_argument("--compare", action="store_true", help="有学习、无学习各跑一遍并对比")
    c.set_defaults(func=cmd_simulate_campaign)

    e = sub.add_parser("evaluate", help="用模拟世界的真值评估场所归并与排名")
    e.add_argument("--truth", type=Path, required=True, help="模拟世界的 truth 目录")
    e.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"数据库文件（默认 {DEFAULT_DB}）")
    e.add_argument("--ranking", type=Path, default=None,
                   help="要评估的排名 CSV（默认：数据库中最近一次完成的运行的评分）")
    e.set_defaults(func=cmd_evaluate)

    es = sub.add_parser("evaluate-shapes", help="同一模拟世界按三种交来的数据形态（原始数据/仅清单/两者）分别筛查并评估")
    es.add_argument("--work", type=Path, default=Path("data/shapes"), help="工作目录（每个种子、形态一个子目录，会被重建）")
    es.add_argument("--seed", type=int, nargs="+", default=[7], help="随机种子，可给多个（默认 7）")
    es.add_argument("--scale", choices=["demo", "tiny"], default="demo", help="规模（默认 demo）")
    es.add_argument("--shapes", default="raw,lists,mixed", help="数据形态，逗号分隔（默认 raw,lists,mixed）")
    es.set_defaults(func=cmd_evaluate_shapes)

    ev = sub.add_parser("evaluate-vary", help="在多个参数各异的模拟世界上筛查并评估，列出每个世界、平均与最差情况")
    ev.add_argument("--work", type=Path, default=Path("data/bench/vary"), help="工作目录（每个世界一个子目录，会被重建）")
    ev.add_argument("--worlds", type=int, default=10, help="世界个数（默认 10）")
    ev.add_argument("--seed0", type=int, default=1101, help="第一个世界的种子，其余依次加一（默认 1101）")
    ev.add_argument("--scale", choices=["demo", "tiny"], default="demo", help="规模（默认 demo）")
    ev.add_argument("--shape", choices=["raw", "lists", "mixed"], default="raw", help="数据形态（默认 raw）")
    ev.set_defaults(func=cmd_evaluate_vary)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
