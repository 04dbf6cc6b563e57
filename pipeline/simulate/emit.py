"""Turn the world's frames into office files (demo: messy formats) and truth files."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.simulate.geo import USCC_CHARS, uscc_valid
from pipeline.simulate.office import Table, fmt_date, fmt_num, fmt_ts, write_big_csv, write_table
from pipeline.simulate.power import readings_block
from pipeline.simulate.world import N_DAYS, START

log = logging.getLogger("pipeline.simulate")

DATE_STR = {s: np.array([fmt_date(START + dt.timedelta(days=i), s) for i in range(N_DAYS)], dtype=object)
            for s in ("iso", "slash", "cn", "compact")}
BAD_DATE = {"iso": "2021-02-30", "slash": "2021/4/31", "cn": "2021年6月31日", "compact": "20210532"}


def _n_broken(rng, n: int, lo: float = 0.001, hi: float = 0.005) -> int:
    return max(1, int(round(n * rng.uniform(lo, hi))))


def _pick(rng, candidates: np.ndarray, k: int, taken: set) -> list[int]:
    cand = [int(i) for i in candidates if int(i) not in taken]
    k = min(k, len(cand))
    out = sorted(int(x) for x in rng.choice(cand, size=k, replace=False)) if k else []
    taken.update(out)
    return out


def prepare(frames: dict, rng: np.random.Generator) -> None:
    """Mess that changes keys must happen before members are taken: failing USCC checks."""
    reg = frames["registry"]
    roles = frames["places"].set_index("place_id")["role"]
    ok = np.flatnonzero((reg["uscc"] != "").to_numpy() & (reg["place_id"].map(roles) == "normal").to_numpy()
                        & (reg["file"] == "ent").to_numpy())
    for i in rng.choice(ok, size=3, replace=False):
        code = reg.at[int(i), "uscc"]
        bad = USCC_CHARS[(USCC_CHARS.index(code[-1]) + 7) % 31]
        reg.at[int(i), "uscc"] = code[:-1] + bad
        assert not uscc_valid(reg.at[int(i), "uscc"])


def members(frames: dict) -> pd.DataFrame:
    reg = frames["registry"]
    key = np.where(reg["uscc"] != "", reg["uscc"], reg["name"] + "|" + reg["address"])
    parts = [pd.DataFrame({"place_id": reg["place_id"], "source": "registry", "source_key": key})]
    for src, fr, col in (("licenses", "licenses", "license_no"), ("power_accounts", "accounts", "account_no"),
                         ("waybills", "waybills", "waybill_no"), ("tips", "tips", "tip_id"),
                         ("sites", "sites", "site_id")):
        f = frames[fr]
        parts.append(pd.DataFrame({"place_id": f["place_id"], "source": src, "source_key": f[col]}))
    m = pd.concat(parts, ignore_index=True)
    dup = m.duplicated(["source", "source_key"])
    assert not dup.any(), m[dup].head()
    return m


# ---------------------------------------------------------------------------- demo (messy)


def write_demo(out: Path, frames: dict, rng: np.random.Generator) -> list[dict]:
    inbox = out / "inbox"
    roles = frames["places"].set_index("place_id")["role"]
    comm = frames["places"].set_index("place_id")["community"]
    results = []

    def normal_idx(df):
        return np.flatnonzero((df["place_id"].map(roles) == "normal").to_numpy())

    # ------------------------------------------------------------ registry
    reg = frames["registry"].copy()
    reg["_o"] = np.where(reg["uscc"] == "", "~", reg["uscc"])
    reg = reg.sort_values(["_o", "name"], kind="stable").reset_index(drop=True)
    for part, fname in (("ent", "市场主体登记_企业_20210701.xlsx"), ("ind", "个体工商户名录_灵源所.csv")):
        d = reg[reg["file"] == part].reset_index(drop=True)
        status = d["status"].to_numpy().copy()
        long = (status == "存续") & (rng.random(len(d)) < 0.1)
        status[long] = "存续（在营、开业、在册）"
        if part == "ent":
            t = Table("registry", fname,
                      ["统一社会信用代码", "企业名称", "企业类型", "法定代表人", "联系电话", "住所", "登记状态",
                       "成立日期", "行业代码", "所属行业", "经营范围"],
                      [list(d["uscc"]), list(d["name"]), list(d["entity_type"]), list(d["legal_rep"]),
                       list(d["phone"]), list(d["address"]), list(status), list(d["founded"]),
                       list(d["industry_code"]), list(d["industry"]), list(d["scope"])],
                      ["str"] * 7 + ["date"] + ["str"] * 3,
                      titles=["灵源街道辖区市场主体名录（企业）", "导出日期：2021年7月1日"], fmt="xlsx",
                      blank_before=sorted(int(x) for x in rng.choice(len(d), 2, replace=False)))
        else:
            t = Table("registry", fname,
                      ["统一社会信用代码", "名称", "类型", "经营者", "联系电话", "经营场所", "经营状态",
                       "成立日期", "行业代码", "行业名称", "经营范围"],
                      [list(d["uscc"]), list(d["name"]), list(d["entity_type"]), list(d["legal_rep"]),
                       list(d["phone"]), list(d["address"]), list(status),
                       [fmt_date(x, "cn") for x in d["founded"]],
                      list(d["industry_code"]), list(d["industry"]), list(d["scope"])],
                      ["str"] * 11, titles=["灵源市场监督管理所个体工商户名录"], encoding="gbk",
                      blank_before=sorted(int(x) for x in rng.choice(len(d), 3, replace=False)))
        taken: set = set()
        ni = normal_idx(d)
        for i in _pick(rng, ni, _n_broken(rng, len(d)), taken):
            t.set(i, "成立日期", BAD_DATE["cn"] if part == "ind" else "2019-13-45", "bad_date")
        # failing check digits (warnings: the row is kept)
        for i in range(len(d)):
            u = t.cols[0][i]
            if u and not uscc_valid(u):
                t.mess.append((i, "统一社会信用代码", "uscc_check_fail", "warning", u))
        _junk_row(t, rng, key_col=1, kind="empty_key")
        results.append(write_table(t, inbox / "registry"))

    # ------------------------------------------------------------ licenses
    lic = frames["licenses"].sort_values("license_no", kind="stable").reset_index(drop=True)
    ltype_written = {"安全生产许可": "危险化学品安全生产许可证", "经营许可": "危险化学品经营许可证",
                     "使用许可": "危险化学品安全使用许可证"}
    t = Table("licenses", "危险化学品许可证_灵源街道.csv",
              ["序号", "许可证编号", "单位名称", "统一社会信用代码", "许可类型", "许可范围", "有效期起", "有效期至", "地址"],
              [[str(i + 1) for i in range(len(lic))], list(lic["license_no"]), list(lic["name"]), list(lic["uscc"]),
               [ltype_written[x] if rng.random() < 0.6 else x for x in lic["license_type"]], list(lic["scope"]),
               [fmt_date(x, "slash") for x in lic["valid_from"]], [fmt_date(x, "cn") for x in lic["valid_to"]],
               list(lic["address"])],
              ["str"] * 9, titles=["泉州市应急管理局危险化学品许可证发放情况（灵源街道）"], encoding="utf-8-sig")
    taken = set()
    la = lic["place_id"].map(roles).to_numpy() == "lookalike"
    for i in _pick(rng, np.flatnonzero(la), 1, taken):
        t.set(i, "有效期至", "2022年2月30日", "bad_date")
    results.append(write_table(t, inbox / "licenses"))

    # ------------------------------------------------------------ power accounts
    acc = frames["accounts"].sort_values("account_no", kind="stable").reset_index(drop=True)
    luoshan = set(c["name"] for c in frames["communities"][:6])
    in_ls = acc["place_id"].map(comm).isin(luoshan).to_numpy()
    cat_alias = {"大工业用电": "大工业", "一般工商业用电": "一般工商业", "居民生活用电": "城乡居民生活用电",
                 "农业生产用电": "农业生产用电"}
    for part, fname in ((True, "罗山供电所_用电客户档案_20210701.xlsx"), (False, "安海供电所_用户档案.csv")):
        d = acc[in_ls == part].reset_index(drop=True)
        cat = [cat_alias[x] if rng.random() < 0.1 else x for x in d["category"]]
        if part:
            t = Table("power_accounts", fname,
                      ["用户编号", "用户名称", "用电地址", "用电类别", "电压等级", "合同容量", "立户日期", "用户状态",
                       "台区名称", "经度", "纬度"],
                      [list(d["account_no"]), list(d["account_name"]), list(d["address"]), cat, list(d["voltage"]),
                       [float(x) for x in d["capacity_kva"]], list(d["opened"]), list(d["status"]),
                       list(d["transformer"]), [None if np.isnan(x) else float(x) for x in d["lon"]],
                       [None if np.isnan(x) else float(x) for x in d["lat"]]],
                      ["str"] * 5 + ["num", "date"] + ["str"] * 2 + ["num"] * 2,
                      titles=["灵源供电所动力电用户清单", "导出日期：2021年7月1日"], fmt="xlsx",
                      blank_before=sorted(int(x) for x in rng.choice(len(d), 2, replace=False)))
        else:
            t = Table("power_accounts", fname,
                      ["户号", "户名", "地址", "用户类别", "供电电压", "运行容量(kVA)", "建档日期", "状态", "台区",
                       "经度", "纬度"],
                      [list(d["account_no"]), list(d["account_name"]), list(d["address"]), cat, list(d["voltage"]),
                       [fmt_num(x, sep=True) for x in d["capacity_kva"]], [fmt_date(x, "compact") for x in d["opened"]],
                       list(d["status"]), list(d["transformer"]),
                       ["" if np.isnan(x) else f"{x:.6f}" for x in d["lon"]],
                       ["" if np.isnan(x) else f"{x:.6f}" for x in d["lat"]]],
                      ["str"] * 11, titles=["安海供电所用电客户档案"], encoding="gbk",
                      blank_before=sorted(int(x) for x in rng.choice(len(d), 2, replace=False)))
        taken = set()
        ni = normal_idx(d)
        hdr = t.headers
        for i in _pick(rng, ni, 2, taken):
            t.set(i, hdr[3], "临时用电" if i % 2 else "趸售", "unknown_enum")
        has_xy = np.flatnonzero(~np.isnan(d["lon"].to_numpy()))
        for i in _pick(rng, np.intersect1d(ni, has_xy), 2, taken):
            t.set(i, hdr[10], "248.4" if part else "0.0", "coord_out_of_range")
        for i in _pick(rng, ni, 1, taken):
            t.set(i, hdr[6], "2010-02-30" if part else "20100230", "bad_date")
        for i in _pick(rng, ni, 1, taken):
            t.set(i, hdr[5], "待核实", "non_numeric")
        _junk_row(t, rng, key_col=0, kind="empty_key")
        results.append(write_table(t, inbox / "power_accounts"))

    # ------------------------------------------------------------ waybills
    wb = frames["waybills"]
    q1 = wb["depart_at"] < pd.Timestamp("2021-04-01")
    for part, fname, enc, style in ((q1, "危货电子运单_2021年1-3月.csv", "gbk", "slash"),
                                    (~q1, "危货电子运单_2021年4-6月.csv", "utf-8", "iso")):
        d = wb[part.to_numpy()].reset_index(drop=True)
        hdr = ["运单编号", "托运人", "承运人", "收货人", "收货人统一社会信用代码", "装货地址", "卸货地址", "货物名称",
               "UN编号", "危险货物类别", "数量", "单位", "车牌号", "起运时间"]
        if enc == "gbk":
            hdr = ["电子运单号", "托运单位", "承运单位", "收货单位", "收货人统一社会信用代码", "装货地点", "卸货地点", "品名",
                   "UN号", "类别", "数量", "计量单位", "牵引车牌号", "起运日期"]
        qty = [fmt_num(x, sep=True) for x in d["quantity"]]
        t = Table("waybills", fname, hdr,
                  [list(d["waybill_no"]), list(d["shipper"]), list(d["carrier"]), list(d["consignee"]),
                   list(d["consignee_uscc"]), list(d["load_address"]), list(d["unload_address"]), list(d["goods"]),
                   list(d["un_no"]), list(d["hazard_class"]), qty, list(d["unit"]), list(d["plate"]),
                   [fmt_ts(x.to_pydatetime(), style) for x in d["depart_at"]]],
                  ["str"] * 14, titles=["危险货物道路运输电子运单查询结果"], encoding=enc,
                  blank_before=[int(rng.integers(1, len(d)))],
                  total={hdr[0]: "合计", hdr[10]: fmt_num(float(d["quantity"].sum()))})
        taken = set()
        ni = np.flatnonzero((d["place_id"].map(roles) == "lookalike").to_numpy())
        for i in _pick(rng, ni, 1, taken):
            t.set(i, hdr[13], "2021-04-31 10:20:00" if enc != "gbk" else "2021/2/29 9:15", "bad_date")
        for i in _pick(rng, ni, 1, taken):
            t.set(i, hdr[10], "若干", "non_numeric")
        for i in _pick(rng, ni, 1, taken):
            t.set(i, hdr[10], "-" + t.cols[10][i], "negative_number")
        _junk_row(t, rng, key_col=0, kind="empty_key")
        results.append(write_table(t, inbox / "waybills"))

    # ------------------------------------------------------------ tips
    tp = frames["tips"]
    t = Table("tips", "群众举报线索登记表_2021上半年.xlsx",
              ["举报编号", "受理时间", "举报内容", "被举报地址", "被举报单位", "举报人", "联系电话"],
              [list(tp["tip_id"]), [x.to_pydatetime() for x in tp["received_at"]], list(tp["content"]),
               list(tp["address"]), list(tp["subject"]), list(tp["reporter"]), list(tp["reporter_phone"])],
              ["str", "ts"] + ["str"] * 5, titles=["灵源街道群众举报线索登记表"], fmt="xlsx")
    taken = set()
    for i in _pick(rng, normal_idx(tp), 1, taken):
        t.set(i, "受理时间", "2021-02-29 10:00", "bad_date")
    results.append(write_table(t, inbox / "tips"))

    # ------------------------------------------------------------ sites
    st = frames["sites"]
    t = Table("sites", "闲置场所排查台账.csv",
              ["序号", "编号", "类型", "地址", "产权人", "经度", "纬度", "备注"],
              [[str(i + 1) for i in range(len(st))], list(st["site_id"]), list(st["site_type"]), list(st["address"]),
               list(st["owner"]), [f"{x:.6f}" for x in st["lon"]], [f"{x:.6f}" for x in st["lat"]],
               ["" for _ in range(len(st))]],
              ["str"] * 8, titles=["灵源街道闲置厂房、废弃养殖场、闲置民房、矿山宕口排查台账", "填报单位：各社区"],
              encoding="utf-8", blank_before=[int(rng.integers(1, len(st)))])
    taken = set()
    ni = normal_idx(st)
    for i in _pick(rng, ni, 1, taken):
        t.cols[5][i], t.cols[6][i] = t.cols[6][i], t.cols[5][i]
        t.mess.append((i, "纬度", "coord_out_of_range", "reject", t.cols[6][i]))
    _junk_row(t, rng, key_col=1, kind="empty_key")
    results.append(write_table(t, inbox / "sites"))
    return results


def _junk_row(t: Table, rng, key_col: int, kind: str) -> None:
    """Insert a copy of a row with its key blanked (belongs to no place)."""
    src = int(rng.integers(0, t.n))
    at = int(rng.integers(1, t.n))
    shift = []
    for j, col in enumerate(t.cols):
        col.insert(at, "" if j == key_col else col[src])
    t.mess = [(i + 1 if i >= at else i, h, k, s, v) for i, h, k, s, v in t.mess]
    t.blank_before = [b + 1 if b > at else b for b in t.blank_before]
    t.mess.append((at, t.headers[key_col], kind, "reject", ""))
    del shift


# ---------------------------------------------------------------------------- readings


def demo_readings(out: Path, acc: pd.DataFrame, rng: np.random.Generator,
                  monthly: dict | None = None) -> tuple[list[dict], pd.DataFrame, int]:
    """Write the daily readings files. If `monthly` is a dict, its "window" gets the true
    (corrected) daily totals summed per account and month, for the monthly bills."""
    folder = out / "inbox" / "power_readings"
    folder.mkdir(parents=True, exist_ok=True)
    acc = acc.sort_values("account_no", kind="stable").reset_index(drop=True)
    ai, di, peak, flat, valley, total = readings_block(acc, rng)
    accno = acc["account_no"].to_numpy(dtype=object)
    n_rows = len(ai)
    if monthly is not None:
        month = np.array([(START + dt.timedelta(days=i)).month for i in range(N_DAYS)])[di]
        monthly["window"] = (pd.DataFrame({"account_no": accno[ai], "month": month, "kwh": total})
                             .groupby(["account_no", "month"], sort=True)["kwh"].sum().reset_index())
    # the re-export fixes a few May 25–31 values: the May file carries the older (wrong) ones
    overlap = np.flatnonzero((di >= 144) & (di <= 150) & (total > 0))
    fix = np.sort(rng.choice(overlap, size=max(5, len(overlap) // 40), replace=False))
    factor = rng.uniform(0.3, 0.8, len(fix))
    old = {k: v.copy() for k, v in (("peak", peak), ("flat", flat), ("valley", valley))}
    for kk in old:
        old[kk][fix] = np.round(old[kk][fix] * factor, 2)
    old_total = np.round(old["peak"] + old["flat"] + old["valley"], 2)
    corrections = pd.DataFrame({"account_no": accno[ai[fix]], "day": DATE_STR["iso"][di[fix]],
                                "kwh_old": old_total[fix], "kwh_new": total[fix]})
    plans = [
        ("用电量_2021年1-3月.csv", 0, 89, "utf-8-sig", "iso", ["灵源街道用户日用电量明细（2021年1月-3月）"],
         ["户号", "日期", "总电量", "尖峰电量", "峰电量", "平电量", "谷电量"], False, False, False),
        ("用电量_202104.csv", 90, 119, "gbk", "slash", ["用电量日报表", "导出日期：2021年5月3日"],
         ["用户编号", "抄表日期", "有功总电量", "峰电量", "平电量", "谷电量"], True, False, False),
        ("用电量_202105.csv", 120, 150, "utf-8", "compact", ["导出日期：2021年6月2日"],
         ["户号", "日期", "总电量(kWh)", "峰电量", "平电量", "谷电量"], False, True, True),
        ("用电量_202106_重新导出.csv", 144, 180, "utf-8", "cn", ["导出日期：2021年7月1日"],
         ["户号", "日期", "总电量", "峰电量", "平电量", "谷电量"], False, True, False),
    ]
    results = []
    for fname, d0, d1, enc, style, titles, hdr, sep, tot, use_old in plans:
        m = (di >= d0) & (di <= d1)
        idx = np.flatnonzero(m)
        if use_old:
            pk, fl, va, to = old["peak"][idx], old["flat"][idx], old["valley"][idx], old_total[idx]
        else:
            pk, fl, va, to = peak[idx], flat[idx], valley[idx], total[idx]
        cols = {"a": accno[ai[idx]], "d": DATE_STR[style][di[idx]]}
        nums = [to]
        if "尖峰电量" in hdr:
            sharp = np.round(pk * 0.3, 2)
            nums += [sharp, np.round(pk - sharp, 2)]
        else:
            nums += [pk]
        nums += [fl, va]
        for j, x in enumerate(nums):
            s = np.array(pc.cast(pa.array(x), pa.string()).to_pylist(), dtype=object)
            if sep:
                big = np.flatnonzero(x >= 1000)
                s[big] = [fmt_num(v, sep=True) for v in x[big]]
            cols[f"n{j}"] = s
        n = len(idx)
        nb = _n_broken(rng, n, 0.0003, 0.0008)
        pick = rng.choice(n, size=nb * 4, replace=False)
        mess = []
        base = len(titles) + 2
        kinds = ("bad_date", "negative_number", "non_numeric", "empty_key")
        for q, kind in enumerate(kinds):
            for i in np.sort(pick[q * nb:(q + 1) * nb]):
                i = int(i)
                if kind == "bad_date":
                    cols["d"][i] = BAD_DATE[style]
                    col, val = hdr[1], BAD_DATE[style]
                elif kind == "negative_number":
                    cols["n0"][i] = "-" + str(cols["n0"][i]) if cols["n0"][i] != "0" else "-12.5"
                    col, val = hdr[2], cols["n0"][i]
                elif kind == "non_numeric":
                    cols["n0"][i] = ["抄表失败", "--", "#N/A"][i % 3]
                    col, val = hdr[2], cols["n0"][i]
                else:
                    cols["a"][i] = ""
                    col, val = hdr[0], ""
                mess.append({"source": "power_readings", "file": fname, "row": base + i, "column": col,
                             "kind": kind, "severity": "reject", "value": val})
        total_row = None
        if tot:
            total_row = ["合计", ""] + [fmt_num(float(np.sum(x))) for x in nums]
        write_big_csv(folder / fname, titles, hdr, cols, encoding=enc, total=total_row)
        info = {"source": "power_readings", "file": fname, "format": "csv", "encoding": enc,
                "title_rows": len(titles), "header_row": len(titles) + 1, "data_rows": n, "blank_rows": 0,
                "total_row": base + n if tot else ""}
        results.append({"info": info, "mess": mess})
    return results, corrections, n_rows


def demo_tracks(out: Path, tr: pd.DataFrame, rng: np.random.Generator) -> list[dict]:
    folder = out / "inbox" / "tracks"
    folder.mkdir(parents=True, exist_ok=True)
    tr = tr.sort_values(["plate", "t"], kind="stable").reset_index(drop=True)
    t0 = np.datetime64("2021-01-01T00:00:00")
    ts = (t0 + tr["t"].to_numpy().astype("timedelta64[s]"))
    results = []
    cut = np.datetime64("2021-06-24T00:00:00")
    for fname, m in (("危货车辆轨迹_20210617-0623.csv", ts < cut), ("危货车辆轨迹_20210624-0630.csv", ts >= cut)):
        idx = np.flatnonzero(m)
        tsel = pd.Series(ts[idx]).dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
        lon = np.array(pc.cast(pa.array(tr["lon"].to_numpy()[idx]), pa.string()).to_pylist(), dtype=object)
        lat = np.array(pc.cast(pa.array(tr["lat"].to_numpy()[idx]), pa.string()).to_pylist(), dtype=object)
        cols = {"plate": tr["plate"].to_numpy(dtype=object)[idx], "ts": tsel, "lon": lon, "lat": lat,
                "speed": tr["speed"].to_numpy()[idx], "heading": tr["heading"].to_numpy()[idx]}
        hdr = ["车牌号", "定位时间", "经度", "纬度", "速度", "方向"]
        mess = []
        n = len(idx)
        pick = np.sort(rng.choice(n, size=_n_broken(rng, n, 0.001, 0.002), replace=False))
        for q, i in enumerate(pick):
            i = int(i)
            if q % 3 == 2:
                cols["lat"][i] = "248.845"
                mess.append({"source": "tracks", "file": fname, "row": 2 + i, "column": "纬度",
                             "kind": "coord_out_of_range", "severity": "reject", "value": "248.845"})
            else:
                cols["lon"][i] = "0.0"
                cols["lat"][i] = "0.0"
                mess.append({"source": "tracks", "file": fname, "row": 2 + i, "column": "经度",
                             "kind": "coord_zero", "severity": "reject", "value": "0.0"})
        write_big_csv(folder / fname, [], hdr, cols, encoding="utf-8")
        results.append({"info": {"source": "tracks", "file": fname, "format": "csv", "encoding": "utf-8",
                                 "title_rows": 0, "header_row": 1, "data_rows": n, "blank_rows": 0,
                                 "total_row": ""}, "mess": mess})
    return results
