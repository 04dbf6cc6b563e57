"""User-facing Chinese text of the publish stage, kept together."""

COLUMNS = [
    "排名", "社区", "工作点", "场所编号", "名称", "地址", "统一社会信用代码", "用电户号",
    "主要负责人", "联系电话", "风险分", "建议整治类别", "主要依据", "经度", "纬度", "本周新增",
]
YES, NO = "是", "否"
REASON_SEP = "；"
UNNAMED = "（名称不详）"
