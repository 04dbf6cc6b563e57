"""The analyst's link decisions: confirm or reject that two records are the same place.

A decisions file is CSV or XLSX with Chinese headers (the link_candidates.csv that each
run writes has them, with an empty 决定 column to fill in):

    记录A来源, 记录A编号, 记录B来源, 记录B编号, 决定, 备注
    电力用户档案, 3500012345, 市场主体登记, 91350582MA2Y000001, 是, 现场核实为同一厂

决定: 是/同一场所/确认 → always linked; 否/不同场所/否认 → never linked. Every decision
is kept in `link_decisions` (also as labels for later learning); a later file's decision
on the same pair replaces an earlier one.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from pipeline.errors import UserError

log = logging.getLogger(__name__)

SOURCE_LABELS = {
    "registry": "市场主体登记", "licenses": "危化品许可", "power_accounts": "电力用户档案",
    "waybills": "危货电子运单", "tips": "群众举报", "sites": "闲置场所台账",
}
_LABEL_TO_SOURCE = {v: k for k, v in SOURCE_LABELS.items()} | {k: k for k in SOURCE_LABELS}
YES = {"是", "同一场所", "确认", "相同", "y", "yes", "1", "true"}
NO = {"否", "不同场所", "否认", "不同", "不是", "n", "no", "0", "false"}
HEADERS = ["记录A来源", "记录A编号", "记录B来源", "记录B编号", "决定", "备注"]

DDL = """
CREATE TABLE IF NOT EXISTS link_decisions (
    source_l VARCHAR, key_l VARCHAR, source_r VARCHAR, key_r VARCHAR,
    decision VARCHAR,            -- 'same' | 'different'
    note VARCHAR, file_name VARCHAR, decided_at TIMESTAMP
)
"""


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xls"):
        df = pd.read_excel(path, dtype=str, engine="calamine")
    else:
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError(f"决定文件 {path.name} 无法识别编码")
        from io import StringIO
        df = pd.read_csv(StringIO(text), dtype=str)
    df.columns = [str(c).strip() for c in df.columns]
    missing = [h for h in HEADERS[:5] if h not in df.columns]
    if missing:
        raise UserError(f"决定文件 {path.name} 缺少列：{'、'.join(missing)}（应有 {'、'.join(HEADERS)}）")
    return df


def load_decisions(con, decisions_dir: Path | None) -> int:
    """Read every decisions file; return the number of decisions now in force."""
    con.execute(DDL)
    if decisions_dir is None or not Path(decisions_dir).is_dir():
        return con.execute("SELECT count(*) FROM link_decisions").fetchone()[0]
    files = sorted(p for p in Path(decisions_dir).iterdir()
                   if p.is_file() and p.suffix.lower() in (".csv", ".xlsx", ".xls"))
    for path in files:
        df = _read(path)
        rows, bad = [], []
        for i, r in enumerate(df.itertuples(index=False), start=2):
            d = dict(zip(df.columns, r))
            verdict = str(d.get("决定") or "").strip().lower()
            if not verdict or verdict == "nan":
                continue            # a candidate the analyst has not decided yet
            sa = _LABEL_TO_SOURCE.get(str(d["记录A来源"]).strip())
            sb = _LABEL_TO_SOURCE.get(str(d["记录B来源"]).strip())
            if verdict in YES:
                decision = "same"
            elif verdict in NO:
                decision = "different"
            else:
                bad.append(f"第 {i} 行 决定={d.get('决定')}（应填 是 或 否）")
                continue
            if not sa or not sb:
                bad.append(f"第 {i} 行 来源无法识别（应为 {'/'.join(SOURCE_LABELS.values())}）")
                continue
            note = d.get("备注")
            rows.append((sa, str(d["记录A编号"]).strip(), sb, str(d["记录B编号"]).strip(), decision,
                         None if note is None or str(note) == "nan" else str(note), path.name))
        for b in bad:
            log.warning("决定文件 %s：%s，该行未采用", path.name, b)
        now = dt.datetime.now()
        for sa, ka, sb, kb, decision, note, fname in rows:
            (sa, ka), (sb, kb) = sorted([(sa, ka), (sb, kb)])
            con.execute("DELETE FROM link_decisions WHERE source_l=? AND key_l=? AND source_r=? AND key_r=?",
                        [sa, ka, sb, kb])
            con.execute("INSERT INTO link_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [sa, ka, sb, kb, decision, note, fname, now])
    return con.execute("SELECT count(*) FROM link_decisions").fetchone()[0]
