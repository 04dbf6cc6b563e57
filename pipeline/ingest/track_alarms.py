"""track_alarms — 危货车辆报警: the 联网联控 platform's alarm/stop export.

One row per alarm: which vehicle, what kind (异常停车, 偏离路线, 夜间行驶, 疲劳驾驶, 超速行驶,
其他), when, how long and where. Unlike tracks, an alarm without coordinates is still
evidence (its 位置描述 or its time), so bad coordinates only warn.

Reject vs warn:
  * rejected: empty or malformed 车牌号; 报警开始时间 empty, unparseable or implausible.
  * warning, value set NULL: 报警结束时间 unparseable, or before the start (the duration then
    comes from 持续时长 only); 持续时长 unparseable (the duration is then end − start);
    经度/纬度 not numeric or out of range (both NULL).
  * warning, value replaced: 报警类型 outside the vocabulary or its aliases → 其他; an empty
    报警类型 is 其他 without a warning (the platform left it blank).
duration_min: the stated 持续时长 ("85" minutes, "85分钟", "1小时25分", "01:25:00", or a
column headed in 小时/秒), else 报警结束时间 − 报警开始时间.
Datum: configured (default WGS-84); GCJ-02 is converted. Key: (plate, alarm_type, started_at).
"""

from pipeline.ingest import clean_sql as C
from pipeline.ingest.rules import RowCheck, SourceRules

_STATED = C.duration_min_sql("x_duration")
_ENDED = "(CASE WHEN x_ended_at >= x_started_at THEN x_ended_at END)"
_DURATION = (f"coalesce((CASE WHEN {_STATED} >= 0 THEN {_STATED} END), x_duration_h * 60, x_duration_s / 60, "
             f"date_diff('second', x_started_at, {_ENDED}) / 60.0)")

RULES = SourceRules(
    source="track_alarms",
    table="stg_track_alarms",
    columns={"plate": "x_plate", "alarm_type": "coalesce(x_alarm_type, '其他')",
             "started_at": "x_started_at", "ended_at": _ENDED, "duration_min": _DURATION,
             "lon": "x_lon", "lat": "x_lat", "location": "x_location"},
    key=("plate", "alarm_type", "started_at"),
    reject_fields=frozenset({"plate", "started_at"}),
    not_empty=frozenset({"plate", "started_at"}),
    nonneg=frozenset({"duration_h", "duration_s"}),
    row_checks=(
        RowCheck("ended_at", "x_ended_at < x_started_at",
                 "报警结束时间早于开始时间，结束时间未导入，请核对", warn=True),
        RowCheck("duration", f"p_duration AND coalesce({_STATED} < 0, true)",
                 "持续时长无法识别（应如 85、85分钟、1小时25分、01:25:00），已按开始、结束时间计算", warn=True),
    ),
    coords=("lon", "lat"),
    field_types={"plate": "plate", "alarm_type": "enum", "started_at": "timestamp", "ended_at": "timestamp",
                 "duration": "text", "duration_h": "number", "duration_s": "number",
                 "lon": "lon", "lat": "lat", "location": "text"},
)
