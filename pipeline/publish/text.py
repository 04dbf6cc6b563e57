"""User-facing Chinese text of the publish stage, kept together."""

COLUMNS = [
    "排名", "社区", "工作点", "场所编号", "名称", "地址", "统一社会信用代码", "用电户号",
    "主要负责人", "联系电话", "风险分", "建议整治类别", "主要依据", "经度", "纬度", "本周新增",
]
YES, NO = "是", "否"
#: the console line of the publish stage
LOG_PUBLISHED = "走访清单：{lists} 份社区清单，共 {n} 处场所 → {out}"
REASON_SEP = "；"
#: 主要依据 of a listed premises whose only reason is one weak signal (scoring.yaml weak_reason_points)
WEAK_NOTE = "【仅一项较弱依据，建议先核实再安排检查】"
RANDOM_PICK = "随机抽查：从清单之外随机抽取，用于估计清单的真实命中率，不代表该处有风险证据"
UNNAMED = "（名称不详）"
NOTES_SHEET = "说明"
NO_NOTES = "本次各来源数据齐全。"
MISSING_SOURCE = "本次没有{label}数据，相关信号未参与评分。"
STALE_SOURCE = "{label}数据最新日期为 {latest}，距运行日期 {age} 天，相关信号可能偏旧。"
#: console line when a crashed run's leftovers are removed at the start of the next run
LOG_UNFINISHED = "上次运行未完成（{runs}），其未输出完的清单记录已清除，临时输出文件夹 {folders} 个已删除；本次重新输出。"
SOURCE_LABELS = {
    "registry": "市场主体登记", "licenses": "危化品许可", "power_accounts": "电力用户档案",
    "power_readings": "用电量", "waybills": "危货电子运单", "tracks": "危货车辆轨迹",
    "tips": "群众举报", "sites": "闲置场所台账", "outcomes": "检查结果回报",
    "registry_list": "市场监管所排查名单", "power_surge_list": "电量激增清单", "track_alarms": "危货车辆报警",
}
#: a source that is missing while the office's own list stands in for it
STOOD_IN = "本次没有{label}数据，以{by}代替（{what}）。"
STOOD_IN_WHAT = {
    "tracks": "只看平台判定的报警，不能自行识别停车",
    "registry": "只含该所列入名单的主体",
    "power_readings": "只看供电所列出的户",
}
MONTHLY_ONLY = ("用电量只有月度数据：按月比较同比、环比，夜间用电、全天平稳负荷、变化日期等需要日用电量的信号未参与评分。")

# report.html
REPORT_TITLE = "灵源街道“小化工”风险筛查周报"
PHASE_NOT_STARTED, PHASE_RUNNING, PHASE_OVER = "未开始", "进行中", "已结束"
DEADLINES = {"list_due": "清单报送", "visit_due": "排查完成", "report_due": "总结报送"}
DUE_LEFT = "{label} {date}（还有 {days} 天）"
DUE_PAST = "{label} {date}（已过 {days} 天）"
PHASE_NOW = "当前阶段：{name}（{start} 至 {end}）"
PART_NAMES = {"list": "按风险分上榜", "random": "随机抽查", "other": "清单外检查"}
HIT_RATE_NOTE = "命中率 = 发现违法违规 ÷（已检查 − 无法进入/未找到）；无法进入、未找到不计为“未发现问题”。"
OVERDUE_NOTE = "逾期未查：上过清单、尚未进门检查，且已过排查完成期限（或首次上榜后 {grace} 天，取较晚者）。"
ESTIMATE_NOTE = ("随机抽查的场所是从清单之外随机抽取的，它们的命中率估计清单之外还剩多少违法场所；"
                 "按风险分上榜的场所是评分挑出来的，其命中率不能代表全街道。区间为 95% 置信区间。")
ESTIMATE_MISSED = "据此估计清单之外（{below:,} 处场所）约有 {est} 处违法违规场所（95% 区间 {lo:,}–{hi:,} 处）。"
#: the estimate when it rounds below one place (never a bare 0 while hits were found)
LESS_THAN_ONE = "不到 1"
ESTIMATE_ZERO = ("随机抽查已进门检查 {n} 处，均未查实违法违规；这不说明清单之外没有违法场所："
                 "据此估计清单之外（{below:,} 处场所）最多约有 {hi:,} 处违法违规场所（95% 上限）。")
ESTIMATE_TOO_FEW = ("随机抽查还不够，尚不能估计清单之外还剩多少违法违规场所"
                    "（随机抽查已进门检查 {n} 处，至少需要 {m} 处，见 configs/learning.yaml 的 min_random_for_estimate）。")
ESTIMATE_NONE = "尚无随机抽查的检查结果，无法估计清单之外的情况。"
MODEL_TITLE = "走访结果学习"
RANDOM_AUC = "{n} 处（查实 {h} 处）：AUC 规则 {r:.2f}，加入模型 {m:.2f}"
RANDOM_AUC_NONE = ("{n} 处（查实 {h} 处）：两类结果不全，尚不能无偏地衡量模型的提升；"
                   "上面的数字来自按风险分挑选的检查，偏向高分场所")

# 拒收明细.xlsx (pipeline/publish/rejects.py)
REJECTS_NONE = {"reject": "本次导入的文件没有拒收的行。", "warning": "本次导入的文件没有警告。",
                "open": "以前各次的检查结果回报没有未处理的问题。"}
#: one console line per problem of an inspector's return
LOG_RETURN_PROBLEM = "检查结果回报（{kind}）：{file} 第 {row} 行，场所编号 {pid}，检查人 {who}：{reason}"
REJECTS_MORE = "……另有 {n} 行未列出（完整记录在数据仓库的 rejects 表中）。"
LOG_RETURN_MORE = "……另有 {n} 条检查结果回报的问题，见拒收明细.xlsx"
LOG_REJECTS = "拒收明细：本次拒收 {rej} 条、警告 {warn} 条，历次未处理的回报 {open} 条（逐行见{file}）"
RETURNS_TITLE = "检查结果回报的问题"
REJECTS_TOTAL = ("本次导入的文件拒收 {rej} 条、警告 {warn} 条；以前各次未处理的检查结果回报 {open} 条。"
                 "每一行（文件、Excel 行号、列名、取值、原因）见清单旁的 {file}，可交检查人员核对补报。")
RETURNS_NONE = "本次没有被拒收或有警告的检查结果回报。"
CATEGORY_PENDING_LINE = ("发现违法违规但整治类别待补 {n} 处（{ids}）：已计入附件2“整治类别待补”一栏，"
                         "请检查人员补填整治类别后重新回报。")
