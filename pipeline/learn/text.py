"""User-facing Chinese text of the learn stage, kept together."""

from pipeline.signals.text import SIGNAL_NAMES

#: the model's line in 主要依据 (points with sign, probability, visits it learnt from)
MODEL_REASON = ("走访结果学习：依据已检查的 {n} 处场所，这类证据组合查实违法违规约 {p:.0%}"
                "（按风险分本应约 {q:.0%}），风险分 {points:+.1f}")
#: model_runs.note
NOT_ENABLED = "未启用（configs/learning.yaml 中 enabled: false）"
TOO_FEW = "已检查场所 {n} 处（查实 {hits} 处、未发现问题 {misses} 处），不足以训练：至少需要 {need} 处且两类各 {each} 处"
NO_SPLIT = "按检查日期无法分出训练期与验证期（后期检查中须两类结果都有）"
NOT_BETTER = "模型未在后期检查中胜过规则评分（前 {k} 名命中率：模型 {pm:.0%}，规则 {pr:.0%}），本次不参与评分"
USED = "模型在后期检查中胜过规则评分（前 {k} 名命中率：模型 {pm:.0%}，规则 {pr:.0%}），本次按权重 {w:.0%} 参与评分"
#: model_runs.status in words (console, campaign tables)
STATUS_NAMES = {"disabled": "未启用", "too_few": "样本不足", "no_split": "无法验证", "not_better": "未胜过规则",
                "used": "已采用"}
#: the console line of the learn stage
LOG_LINE = "走访结果学习（{status}）：{note}"
#: hit_rate_estimates.part
PART_LIST = "清单（按风险分）"
PART_RANDOM = "随机抽查（清单之外）"

#: what each feature is called where the report shows what the model learnt
FEATURE_NAMES = {"rule_score": "规则风险分", **SIGNAL_NAMES}
LEARNT = "系数（正数表示这类证据更常查实）：{items}"
