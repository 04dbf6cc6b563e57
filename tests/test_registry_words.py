"""registry_chemical on registrations written in the patterns real scopes use (our own text,
modelled on what the Fujian registrations hold), each with its label and why, through the
real signal on a real DuckDB; and the firing rates on the hand-labelled real rows when the
real file is there (bench/bench_registry_real.py, `make bench-registry`)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from pipeline.signals import prepare, signal_evidence
from pipeline.signals.scope import lexicon_errors
from tests.stagekit import insert, project_config, stg_db

AS_OF = dt.date(2021, 6, 30)
ROOT = Path(__file__).resolve().parents[1]

# (name, scope, label, why). maker: a make claim (strength 0.8); seller: a weak claim (sale
# 0.3, or a chemical name 0.5); exclusion / unrelated: silent.
CASES = [
    # --- makers: product words a short lexicon lacked, and the verbs that say "make"
    ("晋江市灵源宏胶鞋材有限公司", "胶粘剂生产、销售", "maker", "adhesive production"),
    ("晋江市灵源白象建材有限公司", "白乳胶、瓷砖胶制造；建材批发", "maker", "white glue and tile glue made"),
    ("晋江市灵源鑫盛热熔材料有限公司", "生产、销售：热熔胶、密封胶", "maker", "header verbs over glue types"),
    ("晋江市灵源恒固建材有限公司", "硅酮胶、玻璃胶、结构胶的生产与销售", "maker", "silicone sealants"),
    ("晋江市灵源金鼎气体有限公司", "氧气、氮气、二氧化碳充装、销售", "maker", "industrial gas filling"),
    ("晋江市灵源焊材气体站", "溶解乙炔生产；焊接设备零售", "maker", "acetylene production"),
    ("晋江市灵源安顺能源有限公司", "液化气充装、配送", "maker", "LPG filling"),
    ("晋江市灵源润达润滑油有限公司", "润滑油调配、销售", "maker", "lubricant blending"),
    ("晋江市灵源美家日用品有限公司", "杀虫气雾剂、蚊香生产", "maker", "aerosols and mosquito coils"),
    ("晋江市灵源彩陶色釉有限公司", "陶瓷色料、色釉料生产、销售", "maker", "ceramic colourants"),
    ("晋江市灵源华彩釉料厂", "熔块、釉料制造", "maker", "glaze frit"),
    ("晋江市灵源永新涂料有限公司", "水性涂料（不含危险化学品）生产、销售", "maker",
     "a water-based paint is still a paint made, exclusion or not"),
    ("晋江市灵源彩印油墨有限公司", "生产油墨、稀释剂", "maker", "leading verb carries to the next item"),
    ("晋江市灵源立新树脂有限公司", "不饱和聚酯树脂生产", "maker", "a named resin made"),
    ("晋江市灵源万兴新材料有限公司", "合成树脂、聚氨酯、发泡剂研发、生产", "maker", "resins and foaming agent"),
    ("晋江市灵源洁雅日化有限公司", "洗涤剂、洗衣液、肥皂生产", "maker", "detergents made"),
    ("晋江市灵源美肤化妆品有限公司", "化妆品的生产、加工", "maker", "cosmetics made"),
    ("晋江市灵源绿源肥业有限公司", "复合肥、复混肥生产、销售", "maker", "fertiliser made"),
    ("晋江市灵源嘉禾农化有限公司", "杀虫剂、除草剂复配、分装", "maker", "pesticide formulating"),
    ("晋江市灵源金炉炭业有限公司", "活性炭生产", "maker", "activated carbon"),
    ("晋江市灵源建固建材有限公司", "混凝土外加剂、减水剂生产", "maker", "concrete admixtures"),
    ("晋江市灵源皮革材料有限公司", "皮革化料、皮革助剂生产", "maker", "leather chemicals"),
    ("晋江市灵源鞋材辅料有限公司", "鞋材处理剂、鞋胶生产；鞋材批发", "maker", "shoe primer and glue"),
    ("晋江市灵源车用化学品有限公司", "刹车油、防冻液的生产、加工", "maker", "brake fluid, antifreeze"),
    ("晋江市灵源林产有限公司", "松香、松节油加工、销售", "maker", "rosin and turpentine"),
    ("晋江市灵源焰火有限公司", "烟花、爆竹制造", "maker", "fireworks made"),
    ("晋江市灵源天然香料有限公司", "香精生产；香料批发", "maker", "flavour essence"),
    ("晋江市灵源纸业有限公司", "纸箱、纸板生产；生产胶水", "maker", "a second clause makes glue"),
    ("晋江市灵源中和材料有限公司", "1、批发零售：五金、塑料；2、涂料、油漆调配", "maker", "numbered clause with blending"),
    ("晋江市灵源盛达实业有限公司", "服装生产、销售；胶粘剂制造", "maker", "garment firm that also makes glue"),
    # --- sellers: weak claims
    ("晋江市灵源丰达贸易有限公司", "化工产品、化工原料批发、零售", "seller", "chemicals traded, nothing excluded"),
    ("晋江市灵源五交化商店", "五金、交电、化工零售", "seller", "old general-store 化工"),
    ("晋江市灵源建材商行", "建材、油漆、稀释剂零售", "seller", "paint and thinner retail"),
    ("晋江市灵源石化加油站", "汽油、柴油零售", "seller", "fuel station"),
    ("晋江市灵源农资门市部", "农药（中低毒）、化肥零售", "seller", "pesticide retail"),
    ("晋江市灵源瓶装燃气供应站", "瓶装液化石油气零售", "seller", "bottled LPG retail"),
    ("晋江市灵源服装有限公司", "服装生产、化工产品销售", "seller",
     "the make verb belongs to the garments, the chemicals are sold"),
    ("晋江市灵源永盛化工贸易有限公司", "日用百货批发", "seller", "a chemical name, no licence: weak"),
    # --- exclusion only: chemicals named to be excluded
    ("晋江市灵源华龙鞋材商行", "鞋材、化工产品（不含危险化学品）零售", "exclusion", "item bracket"),
    ("晋江市灵源金源贸易有限公司", "化工原料（不含危险化学品、监控化学品及易制毒化学品）批发",
     "exclusion", "bracket with 、 inside"),
    ("晋江市灵源鑫达鞋业有限公司", "鞋、鞋材、化工产品制造、销售（化学危险品除外）", "exclusion",
     "bracket after the verbs closes the clause"),
    ("晋江市灵源联发商贸有限公司", "除危险化学品外的化工产品销售", "exclusion", "除…外 in the item"),
    ("晋江市灵源远航物流有限公司", "普通货运；仓储（不含危险化学品）", "exclusion", "storage bracket"),
    ("晋江市灵源汇丰贸易有限公司", "五金、建材、化工材料批发、零售。（以上经营范围均不含危险化学品）", "exclusion",
     "a closing 以上… bracket excludes the whole scope"),
    ("晋江市灵源农业服务社", "化肥、农药（危险化学品除外）零售", "exclusion", "pesticide excluded, fertiliser is ordinary"),
    ("晋江市灵源日用品商店", "日用化学品、洗衣粉、化妆品零售", "exclusion",
     "daily chemicals retail is ordinary retail; mentions chemicals, claims nothing"),
    # --- unrelated: word traps found in the real file
    ("晋江市灵源园林工程有限公司", "园林绿化工程施工；花卉种植", "unrelated", "化工 inside 绿化工程"),
    ("晋江市灵源智能科技有限公司", "建筑智能化工程、亮化工程设计、施工", "unrelated", "化工 inside 智能化工程/亮化工程"),
    ("晋江市灵源文创有限公司", "文化工艺品设计、销售；文化工作室", "unrelated", "化工 inside 文化工艺品/文化工作"),
    ("晋江市灵源医药连锁有限公司", "中成药、化学药制剂、化学原料药、生化药品零售", "unrelated",
     "pharmaceuticals, 化学原料 inside 化学原料药"),
    ("晋江市灵源动力机械有限公司", "柴油机、汽油机及配件批发；柴油发电机组租赁", "unrelated", "engines, not fuel"),
    ("晋江市灵源工艺品有限公司", "生产树脂、陶瓷、竹木工艺品", "unrelated", "resin is the material of crafts"),
    ("晋江市灵源礼品有限公司", "生产藤及树脂等各类工艺礼品", "unrelated", "resin material inside one item"),
    ("晋江市灵源硅胶制品有限公司", "硅胶制品、乳胶枕加工", "unrelated", "goods made of silicone or latex"),
    ("晋江市灵源化工机械厂", "化工机械、化工设备、化工泵阀制造", "unrelated", "chemical-industry machinery"),
    ("晋江市灵源建设集团有限公司", "石油化工工程施工总承包；化工石油工程施工", "unrelated", "construction qualification"),
    ("晋江市灵源纸品有限公司", "涂料白纸板、灰纸板生产", "unrelated", "coated paperboard"),
    ("晋江市灵源装饰工程有限公司", "油漆作业分包；油漆工程施工", "unrelated", "painting subcontract, not paint"),
    ("晋江市灵源气瓶检测站", "液化石油气钢瓶定期检验", "unrelated", "cylinder inspection"),
    ("晋江市灵源水产有限公司", "水产品冷冻、包装（不含改变其化学性质的产品）", "unrelated", "化学 in 化学性质"),
    ("晋江市灵源海运有限公司", "国内沿海化学品船、油船机务管理", "unrelated", "shipping management"),
    ("晋江市灵源农资配送中心", "农业生产资料、不再分装的小包装种子零售", "unrelated",
     "生产资料 / 不再分装 hold verbs that claim nothing"),
    ("晋江市灵源环保科技有限公司", "化学技术开发、咨询；甲醛检测服务", "unrelated", "services on chemicals"),
    ("晋江市灵源饮料有限公司", "非酒精饮料、食品添加剂批发", "unrelated", "酒精 inside 酒精饮料"),
    ("晋江市灵源焊接设备有限公司", "二氧化碳保护焊机、热熔胶机制造", "unrelated", "machines named after what they use"),
    ("晋江市灵源建材厂", "强力胶泥、耐水腻子生产", "unrelated", "cementitious mortar, not glue"),
    ("晋江市灵源汽配有限公司", "机油滤清器、柴油滤清器制造", "unrelated", "filters, not oils"),
    ("晋江市灵源鞋业有限公司", "鞋生产、销售", "unrelated", "plain shoe factory"),
    ("晋江市灵源贸易有限公司", "经营各类商品和技术的进出口，但国家限定公司经营或禁止进出口的商品及技术除外",
     "unrelated", "boilerplate exclusion, no chemical"),
]


def _evidence(cases):
    con = stg_db()
    insert(con, "stg_registry", [dict(uscc=f"91350582MA2Y{i:06d}", source_key=f"K{i}", name=name, scope=scope,
                                      status="存续", address=f"晋江市灵源街道林口社区紫华路{i}号")
                                 for i, (name, scope, _, _) in enumerate(cases)])
    con.execute("CREATE OR REPLACE TABLE premises_members AS SELECT source_key AS premises_id, 'registry' AS source, "
                "source_key, 1.0 AS match_score, 'own' AS match_rule FROM stg_registry")
    cfg = project_config()
    prepare(con, cfg, AS_OF)
    return signal_evidence(con, cfg, "registry_chemical", AS_OF).set_index("premises_id")


def test_the_case_set_is_large_and_covers_every_label():
    labels = [c[2] for c in CASES]
    assert len(CASES) >= 60
    assert {lab: labels.count(lab) >= 6 for lab in ("maker", "seller", "exclusion", "unrelated")} == \
        dict.fromkeys(("maker", "seller", "exclusion", "unrelated"), True)


def test_each_hand_labelled_registration_gets_its_label():
    ev = _evidence(CASES)
    wrong = []
    for i, (name, scope, label, why) in enumerate(CASES):
        key = f"K{i}"
        got = ("silent" if key not in ev.index else
               "maker" if ev.loc[key, "strength"] >= 0.8 else "seller")
        want = {"maker": "maker", "seller": "seller", "exclusion": "silent", "unrelated": "silent"}[label]
        if got != want:
            wrong.append(f"{scope} — want {label} ({why}), got {got}")
    assert wrong == []


def test_reasons_name_the_words_that_fired():
    ev = _evidence([CASES[0], CASES[4], CASES[30]])
    assert ev.loc["K0", "sentence"] == "经营范围写明生产/加工“胶粘剂”，但无危险化学品安全生产许可或使用许可"
    assert ev.loc["K1", "value"] == "氧气、氮气、二氧化碳"
    assert ev.loc["K2", "strength"] == 0.3 and "化工产品" in ev.loc["K2", "sentence"]


def test_the_lexicon_file_is_checked(tmp_path):
    assert lexicon_errors({"groups": {"g": {"words": ["涂料"], "sale": True}}, "traps": ["化工程"]}, "x") == []
    errs = lexicon_errors({"groups": {"g": {"words": ["涂"], "sale": "yes"}, "h": {"words": ["涂料"], "sale": True}},
                           "traps": ["涂料"]}, "x")
    assert any("至少两个字" in e for e in errs) and any("true 或 false" in e for e in errs)
    assert any("既是化学品词又是排除词" in e for e in errs)
    assert lexicon_errors({}, "x") == ["x：缺少 groups（化学品词组）"]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_registry_real", ROOT / "bench" / "bench_registry_real.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_firing_rates_on_the_hand_labelled_real_rows_stay_within_targets():
    bench = _bench()
    if not bench.DATA.exists():
        pytest.skip(f"真实登记数据不在 {bench.DATA}（../shared/reference/fujian_registry/），跳过")
    labels = bench.labelled()
    assert len(labels) >= 300
    rows = bench.read_rows()
    ev = bench.fire(rows[rows["row"].isin(labels["row"])].reset_index(drop=True))
    rates = bench.label_rates(ev, labels)
    assert rates["maker"][2] >= 0.90
    assert rates["exclusion"][2] <= 0.10
    assert rates["unrelated"][2] <= 0.05
