"""User-facing Chinese text of the signals stage, kept together."""

#: what each signal is called wherever a user sees it (console, report, the model's line)
SIGNAL_NAMES = {
    "registry_chemical": "登记从事化工", "cover_name": "名称伪装（生物/科技/新材料）",
    "power_surge": "用电激增", "power_night": "夜间用电", "power_flat": "全天平稳高负荷",
    "power_utilisation": "用电接近合同容量", "power_status_mismatch": "暂停/销户仍用电",
    "power_industrial_on_residential": "居民/农业户工业级用电", "waybill_unlicensed": "无许可收危货",
    "truck_stop": "危货车辆停留", "waybill_stop_mismatch": "运单卸货地与停车地不符", "tip": "群众举报",
    "license_scope": "超出许可范围", "status_mismatch": "吊销/注销/停业仍在经营", "multi_entity": "厂中厂",
    "unregistered_power": "无照用电", "idle_site": "闲置场所用电",
    "power_monthly": "月度电量激增", "power_office_list": "供电所电量激增清单",
    "track_alarm": "危货车辆平台报警", "registry_office_list": "市场监管所排查名单",
    "power_level": "用电早已处于高位",
}
#: the console line after each signal
FIRED = "信号“{name}”命中 {n} 处场所"
