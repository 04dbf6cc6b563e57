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


def cmd_screen(a) -> int:
    from pipeline.screen import screen

    inbox, db, out = a.inbox, a.db, a.out
    if a.demo_if_empty and _inbox_is_empty(inbox):
        # Demo records live in their own folder and warehouse, never in the real ones.
        demo = DEMO_DIR
        if not (demo / "inbox").exists():
            from pipeline.simulate import simulate

            log.info("收件箱 %s 为空：生成演示街道数据到 %s …", inbox, demo)
            simulate(demo, seed=7, scale="demo")
        inbox, db, out = demo / "inbox", demo / "warehouse.duckdb", demo / "out"
        a.decisions = demo / "decisions"
        log.info("使用演示数据（模拟的灵源街道）：%s", inbox)
    res = screen(inbox, db, out, as_of=a.as_of, config_dir=a.config, decisions_dir=a.decisions, run_date=a.date)
    refused = [v for v in res.verdicts if v.status == "refused"]
    print(f"\n筛查完成（第 {res.run_id} 次运行，运行日期 {res.run_date}，数据截至 {res.as_of}）。")
    if res.model.get("note"):
        print(f"走访结果学习：{res.model['note']}")
    print(f"各社区走访清单：{res.out_dir}/visit_list_<社区>.csv")
    print(f"全街道排名：{res.out_dir / 'ranking.csv'}；运行记录：{res.out_dir / 'manifest.json'}")
    print(f"疑似同一场所待确认：{res.out_dir / 'link_candidates.csv'}（填写“决定”列后放入 {a.decisions or 'data/decisions/'}）")
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

    summary = simulate(a.out, seed=a.seed, scale=a.scale)
    titles = _source_titles()
    print(f"已生成模拟街道（seed={a.seed}，规模 {a.scale}）：{a.out}/inbox，真值在 {a.out}/truth")
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


def cmd_simulate_campaign(a) -> int:
    import pandas as pd

    from pipeline.simulate.campaign import run_campaign

    if not (a.world / "truth").exists():
        raise UserError(f"{a.world} 不是模拟世界（缺少 truth/）：请先运行 python -m pipeline simulate --out {a.world}")
    tables = []
    for learning in ((True, False) if a.compare else (not a.no_learning,)):
        label = "有学习" if learning else "无学习"
        df = run_campaign(a.world, a.work / ("learn" if learning else "rules"), weeks=a.weeks,
                          per_community=a.visits, learning=learning, start=a.start, seed=a.seed, config_dir=a.config)
        df.insert(0, "variant", label)
        tables.append(df)
        shown = df[[c for c in CAMPAIGN_COLUMNS if c in df.columns]].rename(columns=CAMPAIGN_COLUMNS)
        print(f"\n模拟专项行动（{label}，每社区每周走访 {a.visits} 处）")
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
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

    from pipeline.evaluate import link_metrics, print_link_metrics, print_signal_metrics, signal_metrics
    from pipeline.evaluate_ranking import KS, baseline_rankings, ranking_report

    if not a.db.exists():
        raise UserError(f"数据库 {a.db} 不存在：请先运行 screen")
    con = duckdb.connect(str(a.db), read_only=True)
    print_link_metrics(link_metrics(con, a.truth))
    print()
    print_signal_metrics(signal_metrics(con, a.truth))
    run_id, as_of = con.execute("SELECT run_id, as_of FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
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
    cols = [f"found@{k}" for k in KS] + ["recall@5%", "visits_for_50%", "visits_for_80%"]
    print(f"{'ranking':18}" + "".join(f"{c:>15}" for c in cols))
    for name, rep in reports.items():
        cells = []
        for c in cols:
            v = rep.get(c)
            cells.append(f"{'—':>15}" if v is None else f"{v:15.2f}" if isinstance(v, float) else f"{v:15d}")
        print(f"{name:18}" + "".join(cells))
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline", description="chemsieve：“小化工”风险筛查")
    p.add_argument("-v", "--verbose", action="store_true", help="显示调试信息")
    p.add_argument("--config", type=Path, default=Path("configs"), help="配置目录（默认 configs）")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("screen", help="导入收件箱中的新文件并生成走访清单")
    s.add_argument("--inbox", type=Path, default=DEFAULT_INBOX)
    s.add_argument("--db", type=Path, default=DEFAULT_DB)
    s.add_argument("--out", type=Path, default=DEFAULT_OUT)
    s.add_argument("--as-of", type=_date, default=None, help="数据截至日期（默认：数据中最新日期）")
    s.add_argument("--date", type=_date, default=None,
                   help="运行日期：检查结果算到这一天，期限按这一天判断（默认：数据截至日期与最近一次检查日期中较晚者）")
    s.add_argument("--decisions", type=Path, default=None,
                   help="分析员的场所归并决定文件夹（默认见 configs/linking.yaml 的 decisions_dir）")
    s.add_argument("--demo-if-empty", action="store_true",
                   help="收件箱为空时，生成并筛查演示街道（数据放在 data/demo/）")
    s.set_defaults(func=cmd_screen)

    i = sub.add_parser("ingest", help="导入某一来源的文件，逐个文件给出结论（加 --check 只检查、不导入）")
    i.add_argument("source")
    i.add_argument("files", nargs="+")
    i.add_argument("--db", type=Path, default=DEFAULT_DB)
    i.add_argument("--check", action="store_true",
                   help="只检查、给出结论（读取/可导入/拒收行数与前几条拒收原因），不导入数据库、不存档")
    i.set_defaults(func=cmd_ingest)

    m = sub.add_parser("simulate", help="生成模拟街道数据（演示与测试用）")
    m.add_argument("--out", type=Path, default=DEMO_DIR)
    m.add_argument("--seed", type=int, default=7)
    m.add_argument("--scale", choices=["demo", "tiny", "city"], default="demo")
    m.set_defaults(func=cmd_simulate)

    r = sub.add_parser("simulate-returns", help="模拟检查人员按清单走访并回报结果（演示与测试用）")
    r.add_argument("--world", type=Path, default=DEMO_DIR, help="模拟世界目录（含 truth/）")
    r.add_argument("--db", type=Path, default=DEMO_DIR / "warehouse.duckdb")
    r.add_argument("--lists", type=Path, default=None, help="走访清单所在文件夹（默认：最近一次输出）")
    r.add_argument("--date", type=_date, required=True, help="检查日期 YYYY-MM-DD")
    r.add_argument("--out", type=Path, default=None, help="默认写入 <world>/inbox/outcomes/")
    r.add_argument("--seed", type=int, default=7)
    r.set_defaults(func=cmd_simulate_returns)

    c = sub.add_parser("simulate-campaign", help="模拟数周的专项行动：筛查→走访→回报→再筛查（演示与评估用）")
    c.add_argument("--world", type=Path, default=DEMO_DIR, help="模拟世界目录（含 inbox/ 与 truth/）")
    c.add_argument("--work", type=Path, default=Path("data/campaign"), help="工作目录（会被清空重建）")
    c.add_argument("--weeks", type=int, default=6)
    c.add_argument("--visits", type=int, default=5, help="每个社区每周走访场所数")
    c.add_argument("--start", type=_date, default=dt.date(2021, 7, 5), help="第一周清单日期")
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--no-learning", action="store_true", help="不使用走访结果学习")
    c.add_argument("--compare", action="store_true", help="有学习、无学习各跑一遍并对比")
    c.set_defaults(func=cmd_simulate_campaign)

    e = sub.add_parser("evaluate", help="用模拟世界的真值评估场所归并与排名")
    e.add_argument("--truth", type=Path, required=True, help="模拟世界的 truth 目录")
    e.add_argument("--db", type=Path, default=DEFAULT_DB)
    e.add_argument("--ranking", type=Path, default=None, help="默认：最近一次运行的 ranking.csv")
    e.set_defaults(func=cmd_evaluate)
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
