"""Load and check every analyst-editable YAML file before any stage runs."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_CONFIG_DIR = Path("configs")

#: configs/learning.yaml's settings when the file leaves a key out
LEARNING_DEFAULTS: dict[str, Any] = {
    "enabled": True, "min_labels": 30, "min_each_class": 5, "train_share": 0.6, "eval_k": 20,
    "min_lift": 0.0, "model_weight": 0.4, "regularisation_c": 1.0, "min_random_for_estimate": 10,
}


@dataclass
class Config:
    config_dir: Path
    campaign: dict[str, Any]
    scoring: dict[str, Any]
    linking: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)
    digest: str = ""
    learning: dict[str, Any] = field(default_factory=lambda: dict(LEARNING_DEFAULTS))

    @property
    def communities(self) -> list[dict[str, Any]]:
        return self.campaign["communities"]

    @property
    def unassigned(self) -> str:
        return self.campaign.get("unassigned_community", "未归属社区")


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"配置文件不存在：{path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise ConfigError(f"配置文件 {path} {where}格式错误：{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"配置文件 {path} 应是“键: 值”形式的 YAML")
    return data


def _check_campaign(c: dict[str, Any], path: Path) -> list[str]:
    errs: list[str] = []
    comms = c.get("communities")
    if not isinstance(comms, list) or not comms:
        return [f"{path}：缺少 communities（社区列表）"]
    seen: set[str] = set()
    for i, item in enumerate(comms, 1):
        if not isinstance(item, dict):
            errs.append(f"{path}：communities 第 {i} 项应包含 name/lon/lat/work_point")
            continue
        name = item.get("name")
        if not name:
            errs.append(f"{path}：communities 第 {i} 项缺少 name（社区名称）")
        elif name in seen:
            errs.append(f"{path}：社区 {name} 重复")
        seen.add(name)
        for key, lo, hi in (("lon", 73, 136), ("lat", 3, 54)):
            v = item.get(key)
            if not isinstance(v, (int, float)) or not lo <= v <= hi:
                errs.append(f"{path}：社区 {name} 的 {key} 应是 {lo}–{hi} 之间的数（现为 {v!r}）")
        if not item.get("work_point"):
            errs.append(f"{path}：社区 {name} 缺少 work_point（工作点）")
    d = c.get("community_max_distance_m", 1500)
    if not isinstance(d, (int, float)) or d <= 0:
        errs.append(f"{path}：community_max_distance_m 应是正数（米），现为 {d!r}")
    tou = c.get("time_of_use", {})
    for key in ("valley_hours", "night_hours"):
        for span in tou.get(key, []) or []:
            if (not isinstance(span, list) or len(span) != 2
                    or not all(isinstance(h, int) and 0 <= h <= 24 for h in span)):
                errs.append(f"{path}：time_of_use.{key} 的每一段应写成 [开始小时, 结束小时]，0–24，现为 {span!r}")
    errs += _check_phases(c.get("phases"), path)
    g = c.get("visit_grace_days", 14)
    if not isinstance(g, int) or isinstance(g, bool) or not 0 <= g <= 366:
        errs.append(f"{path}：visit_grace_days 应是 0–366 之间的整数（天），现为 {g!r}")
    return errs


def _check_scoring(s: dict[str, Any], path: Path) -> list[str]:
    errs: list[str] = []
    sig = s.get("signals")
    if not isinstance(sig, dict) or not sig:
        return [f"{path}：缺少 signals（信号权重）"]
    for name, spec in sig.items():
        if not isinstance(spec, dict):
            errs.append(f"{path}：信号 {name} 应包含 weight 等设置")
            continue
        from pipeline.signals import FAMILIES

        here = Path(__file__).parent / "signals"
        if spec.get("family") not in FAMILIES:
            errs.append(f"{path}：信号 {name} 的 family 应为 {'/'.join(FAMILIES)} 之一，现为 {spec.get('family')!r}")
        if not (here / f"{name}.sql").exists() and not (here / f"{name}.py").exists():
            errs.append(f"{path}：未知信号 {name}（程序中没有这个信号）")
        w = spec.get("weight")
        if not isinstance(w, (int, float)) or not 0 <= w <= 100:
            errs.append(f"{path}：信号 {name} 的 weight 应是 0–100 之间的数，现为 {w!r}")
        for k, v in spec.items():
            if (k.startswith(("min_", "full_", "recent_", "baseline_")) or "_min_" in k or "_full_" in k
                    or k.endswith(("_share", "_margin", "_factor", "_peers"))) and (
                    not isinstance(v, (int, float)) or v < 0):
                errs.append(f"{path}：信号 {name} 的 {k} 应是不小于 0 的数，现为 {v!r}")
    for key in ("recent_days", "baseline_days"):
        v = (s.get("windows") or {}).get(key)
        if not isinstance(v, int) or not 7 <= v <= 366:
            errs.append(f"{path}：windows.{key} 应是 7–366 之间的整数（天），现为 {v!r}")
    for key, lo, hi in (("corroboration_bonus", 0, 5), ("corroboration_min_points", 0, 100), ("max_score", 1, 100),
                        ("min_score_for_list", 0, 100), ("list_length", 1, 100000),
                        ("stale_after_days", 1, 366), ("licensed_discount", 0, 1), ("max_reasons", 1, 20),
                        ("max_reason_chars", 20, 1000), ("weak_reason_points", 0, 100),
                        ("licence_renewal_grace_days", 0, 3650), ("random_share", 0, 0.5)):
        v = s.get(key)
        if not isinstance(v, (int, float)) or not lo <= v <= hi:
            errs.append(f"{path}：{key} 应是 {lo}–{hi} 之间的数，现为 {v!r}")
    v = s.get("random_min_per_list", 2)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 20:
        errs.append(f"{path}：random_min_per_list（每个社区清单至少几处随机抽查）应是 0–20 之间的整数，现为 {v!r}")
    v = s.get("fill_short_lists", True)
    if not isinstance(v, bool):
        errs.append(f"{path}：fill_short_lists（清单未满时是否按风险分补足）应为 true 或 false，现为 {v!r}")
    return errs


def _check_learning(lr: dict[str, Any], path: Path) -> list[str]:
    errs: list[str] = []
    unknown = sorted(set(lr) - set(LEARNING_DEFAULTS))
    if unknown:
        errs.append(f"{path}：不认识的设置 {'、'.join(unknown)}（可用：{'、'.join(LEARNING_DEFAULTS)}）")
    if not isinstance(lr.get("enabled", True), bool):
        errs.append(f"{path}：enabled 应为 true 或 false，现为 {lr.get('enabled')!r}")
    for key, lo, hi, integer in (("min_labels", 4, 100000, True), ("min_each_class", 1, 100000, True),
                                 ("eval_k", 1, 100000, True), ("train_share", 0.1, 0.9, False),
                                 ("min_lift", -1, 1, False), ("model_weight", 0, 1, False),
                                 ("regularisation_c", 1e-6, 1e6, False),
                                 ("min_random_for_estimate", 1, 100000, True)):
        v = lr.get(key, LEARNING_DEFAULTS[key])
        ok = isinstance(v, int) if integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or not lo <= v <= hi:
            kind = "整数" if integer else "数"
            errs.append(f"{path}：{key} 应是 {lo}–{hi} 之间的{kind}，现为 {v!r}")
    return errs


def _check_phases(phases: Any, path: Path) -> list[str]:
    import datetime as dt

    if phases is None:
        return []
    if not isinstance(phases, list):
        return [f"{path}：phases 应是阶段列表（每项含 name、end 等日期）"]
    errs: list[str] = []
    for i, ph in enumerate(phases, 1):
        if not isinstance(ph, dict) or not ph.get("name"):
            errs.append(f"{path}：phases 第 {i} 项缺少 name（阶段名称）")
            continue
        for key in ("start", "end", "list_due", "visit_due", "report_due"):
            v = ph.get(key)
            if v is not None and not isinstance(v, dt.date):
                errs.append(f"{path}：阶段 {ph['name']} 的 {key} 应写成日期 YYYY-MM-DD，现为 {v!r}")
        if isinstance(ph.get("start"), dt.date) and isinstance(ph.get("end"), dt.date) and ph["start"] > ph["end"]:
            errs.append(f"{path}：阶段 {ph['name']} 的开始日期晚于结束日期")
    return errs


def _check_linking(lk: dict[str, Any], path: Path) -> list[str]:
    errs: list[str] = []
    for key in ("match_threshold", "candidate_floor", "em_start_lambda", "ambiguity_margin"):
        v = lk.get(key)
        if not isinstance(v, (int, float)) or not 0 < v < 1:
            errs.append(f"{path}：{key} 应是 0 到 1 之间的小数，现为 {v!r}")
    if not errs and lk["candidate_floor"] >= lk["match_threshold"]:
        errs.append(f"{path}：candidate_floor（{lk['candidate_floor']}）应小于 match_threshold（{lk['match_threshold']}）")
    for key, n in (("name_similarity", 2), ("geo_distance_m", 3)):
        v = lk.get(key)
        if (not isinstance(v, list) or len(v) != n or not all(isinstance(x, (int, float)) and x > 0 for x in v)):
            errs.append(f"{path}：{key} 应是 {n} 个正数组成的列表，现为 {v!r}")
    for key in ("em_max_iterations", "u_sample_pairs"):
        v = lk.get(key)
        if not isinstance(v, int) or v <= 0:
            errs.append(f"{path}：{key} 应是正整数，现为 {v!r}")
    # the link rules: source lists are pasted into SQL, so only known source names pass
    linkable = {"registry", "licenses", "power_accounts", "sites", "waybills", "tips"}
    for rule in ("person_link", "short_name"):
        r = lk.get(rule)
        if not isinstance(r, dict):
            errs.append(f"{path}：缺少 {rule} 设置（sources、score）")
            continue
        src = r.get("sources")
        if not isinstance(src, list) or not all(isinstance(x, str) and x in linkable for x in src):
            errs.append(f"{path}：{rule}.sources 应是来源名称列表（{'、'.join(sorted(linkable))}），现为 {src!r}")
        v = r.get("score")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v <= 1:
            errs.append(f"{path}：{rule}.score 应是 0 到 1 之间的小数，现为 {v!r}")
    gap = (lk.get("person_link") or {}).get("number_gap") if isinstance(lk.get("person_link"), dict) else None
    if isinstance(lk.get("person_link"), dict) and (not isinstance(gap, int) or isinstance(gap, bool) or not 0 <= gap <= 20):
        errs.append(f"{path}：person_link.number_gap 应是 0 到 20 之间的整数，现为 {gap!r}")
    return errs


def load(config_dir: str | Path = DEFAULT_CONFIG_DIR) -> Config:
    """Read and validate all configuration; raise one ConfigError listing every problem."""
    from pipeline.ingest import load_source_configs, validate_source_configs

    config_dir = Path(config_dir)
    errs: list[str] = []
    campaign_path = config_dir / "campaign.yaml"
    scoring_path = config_dir / "scoring.yaml"
    campaign = _read_yaml(campaign_path)
    scoring = _read_yaml(scoring_path)
    linking_path = config_dir / "linking.yaml"
    linking = _read_yaml(linking_path)
    errs += _check_campaign(campaign, campaign_path)
    errs += _check_scoring(scoring, scoring_path)
    errs += _check_linking(linking, linking_path)
    learning_path = config_dir / "learning.yaml"
    learning = dict(LEARNING_DEFAULTS)
    if learning_path.exists():
        read = _read_yaml(learning_path)
        errs += _check_learning(read, learning_path)
        learning.update(read)
    words_path = config_dir / "chemical_words.yaml"
    if words_path.exists():
        from pipeline.signals.scope import lexicon_errors

        errs += lexicon_errors(_read_yaml(words_path), words_path)
    errs += validate_source_configs(config_dir)
    if errs:
        raise ConfigError("配置有误，未运行任何步骤：\n  - " + "\n  - ".join(errs))
    cfg = Config(config_dir, campaign, scoring, linking, load_source_configs(config_dir), learning=learning)
    cfg.digest = config_digest(config_dir)
    return cfg


def config_digest(config_dir: Path) -> str:
    """sha256 over every YAML file under configs/, so a list traces to its settings."""
    h = hashlib.sha256()
    for p in sorted(Path(config_dir).rglob("*.yaml")):
        h.update(str(p.relative_to(config_dir)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
