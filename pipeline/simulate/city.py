"""City scale (≈100× demo): plain UTF-8 CSVs written in chunks with pyarrow.

Readings are generated block by block of accounts and appended to one file per month;
tracks go to one file per day. No per-row Python loops over the big tables.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.simulate.office import write_big_csv
from pipeline.simulate.power import readings_block
from pipeline.simulate.world import N_DAYS, START

log = logging.getLogger("pipeline.simulate")

BLOCK = 20_000
MONTH_START = [0, 31, 59, 90, 120, 151, 181]          # day index of each month's first day (2021)


def _s(x) -> pa.Array:
    return pa.array(pd.Series(x, dtype=object).fillna("").astype(str).to_numpy(dtype=object), pa.string())


def _d(x) -> pa.Array:
    return pa.array(pd.to_datetime(pd.Series(x)).dt.date, pa.date32())


def _f(x) -> pa.Array:
    return pa.array(pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float), pa.float64(), from_pandas=True)


def _info(source: str, file: str, n: int) -> dict:
    return {"info": {"source": source, "file": file, "format": "csv", "encoding": "utf-8", "title_rows": 0,
                     "header_row": 1, "data_rows": int(n), "blank_rows": 0, "total_row": ""}, "mess": []}


def _table(out: Path, source: str, file: str, headers: list[str], cols: list[pa.Array]) -> dict:
    folder = out / "inbox" / source
    folder.mkdir(parents=True, exist_ok=True)
    write_big_csv(folder / file, [], headers, {f"c{i}": c for i, c in enumerate(cols)})
    return _info(source, file, len(cols[0]))


def write_city(out: Path, frames: dict, tracks: pd.DataFrame, rng: np.random.Generator):
    res = []
    reg = frames["registry"]
    res.append(_table(out, "registry", "市场主体登记_全量.csv",
                      ["统一社会信用代码", "企业名称", "市场主体类型", "法定代表人", "联系电话", "住所", "登记状态", "成立日期",
                       "行业代码", "行业名称", "经营范围"],
                      [_s(reg["uscc"]), _s(reg["name"]), _s(reg["entity_type"]), _s(reg["legal_rep"]), _s(reg["phone"]),
                       _s(reg["address"]), _s(reg["status"]), _d(reg["founded"]), _s(reg["industry_code"]),
                       _s(reg["industry"]), _s(reg["scope"])]))
    lic = frames["licenses"]
    res.append(_table(out, "licenses", "危险化学品许可证.csv",
                      ["许可证编号", "单位名称", "统一社会信用代码", "许可类型", "许可范围", "有效期起", "有效期至", "地址"],
                      [_s(lic["license_no"]), _s(lic["name"]), _s(lic["uscc"]), _s(lic["license_type"]), _s(lic["scope"]),
                       _d(lic["valid_from"]), _d(lic["valid_to"]), _s(lic["address"])]))
    acc = frames["accounts"].sort_values("account_no", kind="stable").reset_index(drop=True)
    res.append(_table(out, "power_accounts", "电力用户档案.csv",
                      ["户号", "户名", "用电地址", "用电类别", "电压等级", "合同容量", "立户日期", "用户状态", "台区", "经度", "纬度"],
                      [_s(acc["account_no"]), _s(acc["account_name"]), _s(acc["address"]), _s(acc["category"]),
                       _s(acc["voltage"]), _f(acc["capacity_kva"]), _d(acc["opened"]), _s(acc["status"]),
                       _s(acc["transformer"]), _f(acc["lon"]), _f(acc["lat"])]))
    wb = frames["waybills"]
    res.append(_table(out, "waybills", "危货电子运单.csv",
                      ["运单编号", "托运人", "承运人", "收货人", "收货人统一社会信用代码", "装货地址", "卸货地址", "货物名称", "UN编号",
                       "危险货物类别", "数量", "单位", "车牌号", "起运时间"],
                      [_s(wb["waybill_no"]), _s(wb["shipper"]), _s(wb["carrier"]), _s(wb["consignee"]),
                       _s(wb["consignee_uscc"]), _s(wb["load_address"]), _s(wb["unload_address"]), _s(wb["goods"]),
                       _s(wb["un_no"]), _s(wb["hazard_class"]), _f(wb["quantity"]), _s(wb["unit"]), _s(wb["plate"]),
                       pa.array(wb["depart_at"].dt.strftime("%Y-%m-%d %H:%M:%S"), pa.string())]))
    tp = frames["tips"]
    res.append(_table(out, "tips", "群众举报.csv",
                      ["举报编号", "受理时间", "举报内容", "被举报地址", "被举报单位", "举报人", "联系电话"],
                      [_s(tp["tip_id"]), pa.array(tp["received_at"].dt.strftime("%Y-%m-%d %H:%M:%S"), pa.string()),
                       _s(tp["content"]), _s(tp["address"]), _s(tp["subject"]), _s(tp["reporter"]),
                       _s(tp["reporter_phone"])]))
    st = frames["sites"]
    res.append(_table(out, "sites", "闲置场所台账.csv", ["编号", "类型", "地址", "产权人", "经度", "纬度"],
                      [_s(st["site_id"]), _s(st["site_type"]), _s(st["address"]), _s(st["owner"]), _f(st["lon"]),
                       _f(st["lat"])]))

    # ------------------------------------------------------------ readings, one file per month
    folder = out / "inbox" / "power_readings"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"用电量_2021{m + 1:02d}.csv" for m in range(6)]
    counts = [0] * 6
    hdr = ["户号", "日期", "总电量", "峰电量", "平电量", "谷电量"]
    start_days = (np.datetime64(START) - np.datetime64("1970-01-01")).astype(np.int32)
    for b0 in range(0, len(acc), BLOCK):
        blk = acc.iloc[b0:b0 + BLOCK]
        ai, di, peak, flat, valley, total = readings_block(blk, rng)
        accno = pa.array(blk["account_no"].to_numpy(dtype=object), pa.string())
        month = np.searchsorted(MONTH_START, di, side="right") - 1
        for m in range(6):
            sel = np.flatnonzero(month == m)
            cols = {"a": accno.take(pa.array(ai[sel])),
                    "d": pa.array((di[sel] + start_days).astype(np.int32), pa.date32()),
                    "k": total[sel], "p": peak[sel], "f": flat[sel], "v": valley[sel]}
            write_big_csv(folder / names[m], [], hdr, cols, append=b0 > 0)
            counts[m] += len(sel)
        log.info("模拟用电量：%d / %d 户", min(b0 + BLOCK, len(acc)), len(acc))
    res += [_info("power_readings", n, c) for n, c in zip(names, counts)]
    n_read = sum(counts)

    # ------------------------------------------------------------ tracks, one file per day
    folder = out / "inbox" / "tracks"
    folder.mkdir(parents=True, exist_ok=True)
    tr = tracks.sort_values(["t", "plate"], kind="stable").reset_index(drop=True)
    dayi = (tr["t"].to_numpy() // 86400)
    plates = pa.array(list(tr["plate"].cat.categories), pa.string())
    codes = tr["plate"].cat.codes.to_numpy()
    t0 = (np.datetime64(START, "s") - np.datetime64("1970-01-01T00:00:00", "s")).astype(np.int64)
    for d in np.unique(dayi):
        sel = np.flatnonzero(dayi == d)
        date = np.datetime64(START) + np.timedelta64(int(d), "D")
        name = f"危货车辆轨迹_{str(date).replace('-', '')}.csv"
        cols = {"plate": plates.take(pa.array(codes[sel])),
                "ts": pa.array(tr["t"].to_numpy()[sel] + t0, pa.timestamp("s")),
                "lon": tr["lon"].to_numpy()[sel], "lat": tr["lat"].to_numpy()[sel],
                "speed": tr["speed"].to_numpy()[sel], "heading": tr["heading"].to_numpy()[sel]}
        write_big_csv(folder / name, [], ["车牌号", "定位时间", "经度", "纬度", "速度", "方向"], cols)
        res.append(_info("tracks", name, len(sel)))
    corrections = pd.DataFrame(columns=["account_no", "day", "kwh_old", "kwh_new"])
    assert N_DAYS == MONTH_START[-1]
    return res, corrections, n_read
