"""User-facing Chinese text of the publish stage, kept together."""

COLUMNS = [
    "排名", "社区", "工作点", "场所编号", "名称", "地址", "统一社会信用代码", "用电户号",
    "主要负责人", "联系电话", "风险分", "建议整治类别", "主要依据", "经度", "纬度", "本周新增",
]
YES, NO = "是", "否"
REASON_SEP = "；"
RANDOM_PICK = "随机抽查：从清单之外随机抽取，用于估计清单的真实命中率，不代表该处有风险证据"
UNNAMED = "（名称不详）"
NOTES_SHEET = "说明"
NO_NOTES = "本次各来源数据齐全。"
MISSING_SOURCE = "本次没有{label}数据，相关信号未参与评分。"
STALE_SOURCE = "{label}数据最新日期为 {latest}，距数据截至日 {age} 天，相关信号可能偏旧。"
SOURCE_LABELS = {
    "registry": "市场主体登记", "licenses": "危化品许可", "power_accounts": "电力用户档案",
    "power_readings": "用电量", "waybills": "危货电子运单", "tracks": "危货车辆轨迹",
    "tips": "群众举报", "sites": "闲置场所台账", "outcomes": "检查结果回报",
}
