"""User-facing Chinese text of the score stage, kept together: why a 整治类别 is suggested
(shown at the end of 主要依据)."""

#: the console line of the score stage
LOG_SCORED = "评分：{n} 处场所有风险证据"

CATEGORY_NOTES = {
    "licensed": "建议整治类别 1：持有危化品许可的企业，证据指向超出许可范围或许可过期后生产经营",
    "cover": "建议整治类别 5：名称或登记挂“生物、科技、新材料”等名义，证据指向实际生产化工产品",
    "resumed": "建议整治类别 2：原登记主体吊销、注销或停业后，此处换户名继续生产经营",
    "shared": "建议整治类别 4：与其他单位同一地址（厂中厂），本场所无照或租用他人厂房",
    "registered": "建议整治类别 2：有营业执照、无危化品许可",
    "unregistered": "建议整治类别 3：无营业执照、无危化品许可",
}

#: 主要依据 of a row below the score line that fills a short list (publish/lists.sql)
FILL_NOTE = "清单未满，按风险分依次补足（风险分 {:.1f}，低于上榜线 {:g}）"
