"""User-facing Chinese text of the learn stage, kept together."""

#: the model's line in 主要依据 (points with sign, probability, visits it learnt from)
MODEL_REASON = ("走访结果学习：依据已检查的 {n} 处场所，这类证据组合查实违法违规约 {p:.0%}"
                "（按风险分本应约 {q:.0%}），风险分 {points:+.1f}")
#: model_runs.note
NOT_ENABLED = "未启用（configs/learning.yaml 中 enabled: false）"
TOO_FEW = "已检查场所 {n} 处（查实 {hits} 处、未发现问题 {misses} 处），不足以训练：至少需要 {need} 处且两类各 {each} 处"
NO_SPLIT = "按检查日期无法分出训练期与验证期（后期检查中须两类结果都有）"
NOT_BETTER = "模型未在后期检查中胜过规则评分（前 {k} 名命中率：模型 {pm:.0%}，规则 {pr:.0%}），本次不参与评分"
USED = "模型在后期检查中胜过规则评分（前 {k} 名命中率：模型 {pm:.0%}，规则 {pr:.0%}），本次按权重 {w:.0%} 参与评分"
#: hit_rate_estimates.part
PART_LIST = "清单（按风险分）"
PART_RANDOM = "随机抽查（清单之外）"

#: what each feature is called where the report shows what the model learnt
FEATURE_NAMES = {
    "rule_score": "规则风险分", "registry_chemical": "登记从事化工", "cover_name": "名称伪装（生物/科技/新材料）",
    "power_surge": "用电激增", "power_night": "夜间用电", "power_flat": "全天平稳高负荷",
    "power_utilisation": "用电接近合同容量", "power_status_mismatch": "暂停/销户仍用电",
    "power_industrial_on_residential": "居民/农业户工业级用电", "waybill_unlicensed": "无许可收危货",
    "truck_stop": "危货车辆停留", "waybill_stop_mismatch": "运单卸货地与停车地不符", "tip": "群众举报",
    "license_scope": "超出许可范围", "status_mismatch": "吊销/注销/停业仍在经营", "multi_entity": "厂中厂",
    "unregistered_power": "无照用电", "idle_site": "闲置场所用电",
}
LEARNT = "系数（正数表示这类证据更常查实）：{items}"
