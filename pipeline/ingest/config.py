"""Source configurations (configs/sources/<source>.yaml): load and check.

A config names the canonical fields of one source, their type, the header synonyms an
office's export may use, enum vocabularies with aliases, the natural key and the datum of
coordinates. `validate_source_configs` returns plain messages (empty list = valid); the
config checker calls it before any stage runs.
"""

from __future__ import annotations

import datetime as dt

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import ConfigError
from pipeline.ingest.clean_sql import enum_key

log = logging.getLogger(__name__)

#: Sources in the order they are loaded (accounts before readings, registry first; each
#: office's own list after the raw data of the same office).
SOURCES: tuple[str, ...] = (
    "registry",
    "registry_list",
    "licenses",
    "power_accounts",
    "power_readings",
    "power_surge_list",
    "waybills",
    "tracks",
    "track_alarms",
    "tips",
    "sites",
    "outcomes",
)

FIELD_TYPES = {
    "text", "name", "address", "phone", "uscc", "date", "month", "timestamp", "number",
    "enum", "code", "account", "lon", "lat", "plate",
}
DATUMS = {"WGS-84", "GCJ-02"}
DEFAULT_ACCOUNT_LENGTH = (5, 20)

_BRACKET_SUFFIX = re.compile(r"[\(\[【<].*?[\)\]】>]$")
_SPACE_STAR = re.compile(r"[\s*]+")


def norm_header(text: object) -> str:
    """Header cell as compared with synonyms: NFKC (full→half width), no blanks/`*`, lower."""
    s = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    s = s.replace("\u3000", " ")
    return _SPACE_STAR.sub("", s).lower()


def strip_unit(text: str) -> str:
    """合同容量(kva) → 合同容量 (text already normalised)."""
    prev = None
    while prev != text:
        prev, text = text, _BRACKET_SUFFIX.sub("", text)
    return text


@dataclass
class FieldSpec:
    name: str
    type: str
    synonyms: list[str]
    required: bool = False
    private: bool = False
    values: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    unit: str | None = None
    length: tuple[int, int] | None = None
    #: accounts: the office's account length; a number Excel stripped of leading zeros is padded
    pad_to: int | None = None
    #: dates: the span a value must fall in (first, last day), e.g. the campaign's
    within: tuple[dt.date, dt.date] | None = None
    #: dates: a value may lie ahead of today (a licence's expiry); otherwise a date after
    #: tomorrow is refused — a reading dated 2099 would make the whole run "as of 2099"
    future: bool = False

    @property
    def label(self) -> str:
        return self.synonyms[0] if self.synonyms else self.name

    def header_hint(self) -> str:
        return "/".join(self.synonyms[:2]) if self.synonyms else self.name


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what one file may make the reader do (configs/ingest.yaml): past them the
    file (or row) is refused with a Chinese reason instead of exhausting memory or time."""

    max_columns: int = 500
    max_cell_chars: int = 32767
    xlsx_max_cells: int = 10_000_000
    xlsx_max_uncompressed_mb: int = 1024
    xlsx_max_ratio: float = 100.0
    memory_fraction: float = 0.4


#: key → (type, lowest allowed, highest allowed, what it is in plain words)
_LIMIT_KEYS = {
    "max_columns": (int, 2, 100_000, "一个表格最多多少列"),
    "max_cell_chars": (int, 100, 100_000_000, "一个单元格最多多少个字符"),
    "xlsx_max_cells": (int, 1000, 2_000_000_000, "XLSX 工作表最多多少格"),
    "xlsx_max_uncompressed_mb": (int, 1, 100_000, "XLSX 解压后最多多少 MB"),
    "xlsx_max_ratio": ((int, float), 2, 100_000, "XLSX 最高压缩比"),
    "memory_fraction": ((int, float), 0.1, 0.9, "导入时最多用本机内存的比例"),
}


def load_read_limits(config_dir: Path) -> tuple[ReadLimits, list[str]]:
    """configs/ingest.yaml → ReadLimits (defaults for a missing file or key) and the
    problems found in it."""
    path = Path(config_dir) / "ingest.yaml"
    if not path.exists():
        return ReadLimits(), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return ReadLimits(), [f"{path.name}：YAML 格式错误：{exc}"]
    if not isinstance(data, dict):
        return ReadLimits(), [f"{path.name}：内容应是“键: 值”形式"]
    errs: list[str] = []
    vals = {}
    for k, v in data.items():
        if k not in _LIMIT_KEYS:
            errs.append(f"{path.name}：{k} 不是可设置的项（可用：{'、'.join(_LIMIT_KEYS)}）")
            continue
        typ, lo, hi, what = _LIMIT_KEYS[k]
        if isinstance(v, bool) or not isinstance(v, typ) or not lo <= v <= hi:
            errs.append(f"{path.name}：{k}（{what}）应是 {lo}–{hi} 之间的数，现为 {v!r}")
            continue
        vals[k] = v
    return ReadLimits(**vals), errs


@dataclass
class SourceConfig:
    source: str
    title: str
    key: list[str]
    fields: dict[str, FieldSpec]
    sheet: int | str = 0
    datum: str = "WGS-84"
    require_one_of: list[list[str]] = field(default_factory=list)
    path: Path | None = None
    #: configs/ingest.yaml, the same for every source
    limits: ReadLimits = field(default_factory=ReadLimits)

    def synonym_index(self) -> dict[str, list[tuple[int, str]]]:
        """normalised synonym → [(priority, field)]; exact spellings before unit-stripped."""
        idx: dict[str, list[tuple[int, str]]] = {}
        for f in self.fields.values():
            for syn in f.synonyms:
                n = norm_header(syn)
                idx.setdefault(n, []).append((0, f.name))
                s = strip_unit(n)
                if s != n:
                    idx.setdefault(s, []).append((1, f.name))
        return idx


def campaign_span(config_dir: Path) -> tuple[dt.date, dt.date] | None:
    """First and last day of the campaign's phases in campaign.yaml (None without phases)."""
    path = Path(config_dir) / "campaign.yaml"
    try:
        phases = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("phases") or []
    except (OSError, yaml.YAMLError):
        return None
    days = [ph.get(k) for ph in phases if isinstance(ph, dict) for k in ("start", "end")]
    days = [d for d in days if isinstance(d, dt.date)]
    return (min(days), max(days)) if days else None


def _within(spec, fname: str, where: str, span, errs: list[str]):
    """A date field's `within`: "campaign" (the phases' span) or [first, last]."""
    w = spec.get("within")
    if w is None:
        return None
    if w == "campaign":
        if span is None:
            errs.append(f"{where}：字段 {fname} 的 within: campaign 需要 campaign.yaml 中的 phases（含 start/end 日期）")
        return span
    if isinstance(w, list) and len(w) == 2 and all(isinstance(d, dt.date) for d in w) and w[0] <= w[1]:
        return (w[0], w[1])
    errs.append(f"{where}：字段 {fname} 的 within 应为 campaign 或 [开始日期, 结束日期]，现为 {w!r}")
    return None


def _enum_aliases(values: list[str], aliases: dict[str, str], fname: str, where: str,
                  errs: list[str]) -> dict[str, str]:
    """Aliases keyed the way cells are compared (clean_sql.enum_key: full-width → half-width,
    、→, blanks removed), plus the normalised spelling of each value that differs from it.
    Cells are normalised before the lookup, so a key spelt with full-width brackets or 、
    (the SAMR wording 存续（在营、开业、在册）) would otherwise never match its own cell.
    Two spellings that normalise alike but mean different values are a config error."""
    out: dict[str, str] = {}
    spelt: dict[str, str] = {}
    for k, v in [(v, v) for v in values] + list(aliases.items()):
        n = enum_key(k)
        if n in out and out[n] != v:
            errs.append(f"{where}：字段 {fname} 的 {spelt[n]!r}（{out[n]}）和 {k!r}（{v}）"
                        f"去掉空格、全角转半角后相同（{n}），无法区分")
            continue
        out.setdefault(n, v)
        spelt.setdefault(n, k)
    return {n: v for n, v in out.items() if n not in values}


def _parse(source_name: str, data: dict, path: Path, span=None) -> tuple[SourceConfig | None, list[str]]:
    errs: list[str] = []
    where = f"{path.name}"
    if not isinstance(data, dict):
        return None, [f"{where}：内容不是一个映射（YAML mapping）"]
    src = data.get("source", source_name)
    if src != source_name:
        errs.append(f"{where}：source 为 {src!r}，应与文件名一致（{source_name}）")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        return None, errs + [f"{where}：缺少 fields"]
    fields: dict[str, FieldSpec] = {}
    seen_syn: dict[str, str] = {}
    for fname, spec in raw_fields.items():
        if not isinstance(spec, dict):
            errs.append(f"{where}：字段 {fname} 的定义应为映射")
            continue
        ftype = spec.get("type", "text")
        if ftype not in FIELD_TYPES:
            errs.append(f"{where}：字段 {fname} 的类型 {ftype!r} 未知（可用：{'/'.join(sorted(FIELD_TYPES))}）")
        syns = spec.get("synonyms") or []
        if not isinstance(syns, list) or not all(isinstance(s, (str, int)) for s in syns) or not syns:
            errs.append(f"{where}：字段 {fname} 的 synonyms 应为非空的列名列表")
            syns = []
        syns = [str(s) for s in syns]
        for s in syns:
            n = norm_header(s)
            if n in seen_syn and seen_syn[n] != fname:
                errs.append(f"{where}：列名 {s!r} 同时是 {seen_syn[n]} 和 {fname} 的同义词")
            seen_syn[n] = fname
        values = [str(v) for v in (spec.get("values") or [])]
        aliases_raw = spec.get("aliases") or {}
        if not isinstance(aliases_raw, dict):
            errs.append(f"{where}：字段 {fname} 的 aliases 应为映射")
            aliases_raw = {}
        aliases = {str(k): str(v) for k, v in aliases_raw.items()}
        if ftype == "enum":
            if not values:
                errs.append(f"{where}：枚举字段 {fname} 缺少 values")
            for k, v in aliases.items():
                if v not in values:
                    errs.append(f"{where}：字段 {fname} 的别名 {k!r} 指向 {v!r}，它不在 values 中")
            aliases = _enum_aliases(values, aliases, fname, where, errs)
        length = spec.get("length")
        if ftype == "account":
            if length is None:
                length = DEFAULT_ACCOUNT_LENGTH
            if (not isinstance(length, (list, tuple)) or len(length) != 2
                    or not all(isinstance(x, int) and x > 0 for x in length) or length[0] > length[1]):
                errs.append(f"{where}：字段 {fname} 的 length 应为 [最短, 最长] 两个正整数")
                length = DEFAULT_ACCOUNT_LENGTH
            length = (int(length[0]), int(length[1]))
            pad_to = spec.get("pad_to")
            if pad_to is not None and (not isinstance(pad_to, int) or isinstance(pad_to, bool)
                                       or not length[0] <= pad_to <= length[1]):
                errs.append(f"{where}：字段 {fname} 的 pad_to 应为 {length[0]}–{length[1]} 之间的整数（户号位数），现为 {pad_to!r}")
                pad_to = None
        else:
            pad_to = None
        fields[fname] = FieldSpec(
            name=fname, type=ftype, synonyms=syns, required=bool(spec.get("required", False)),
            private=bool(spec.get("private", False)), values=values, aliases=aliases,
            unit=spec.get("unit"), length=length, pad_to=pad_to,
            within=_within(spec, fname, where, span, errs) if ftype == "date" else None,
            future=bool(spec.get("future", False)),
        )
    key = data.get("key") or []
    if isinstance(key, str):
        key = [key]
    datum = data.get("datum", "WGS-84")
    if datum not in DATUMS:
        errs.append(f"{where}：datum {datum!r} 不支持（可用：WGS-84、GCJ-02）")
    sheet = data.get("sheet", 0)
    if not isinstance(sheet, (int, str)):
        errs.append(f"{where}：sheet 应为工作表序号或名称")
        sheet = 0
    roo = data.get("require_one_of") or []
    for grp in roo:
        for k in grp:
            if k not in fields:
                errs.append(f"{where}：require_one_of 中的 {k} 不是已定义的字段")
    cfg = SourceConfig(
        source=source_name, title=str(data.get("title") or source_name), key=list(key),
        fields=fields, sheet=sheet, datum=datum, require_one_of=[list(g) for g in roo], path=path,
    )
    return cfg, errs


def _read_all(config_dir: Path) -> tuple[dict[str, SourceConfig], list[str]]:
    config_dir = Path(config_dir)
    sdir = config_dir / "sources"
    out: dict[str, SourceConfig] = {}
    errs: list[str] = []
    span = campaign_span(config_dir)
    for source in SOURCES:
        path = sdir / f"{source}.yaml"
        if not path.exists():
            errs.append(f"缺少数据源配置文件 {path}")
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            errs.append(f"{path.name}：YAML 格式错误：{exc}")
            continue
        cfg, e = _parse(source, data, path, span)
        errs.extend(e)
        if cfg is not None:
            out[source] = cfg
    return out, errs


def validate_source_configs(config_dir: Path = Path("configs")) -> list[str]:
    """Plain messages for every problem in configs/sources/*.yaml; empty when valid."""
    from pipeline.ingest.sources import RULES  # late: rules import config

    cfgs, errs = _read_all(config_dir)
    errs += load_read_limits(config_dir)[1]
    for source, cfg in cfgs.items():
        rules = RULES[source]
        for fname in rules.needed_fields:
            if fname not in cfg.fields:
                errs.append(f"{source}.yaml：缺少字段 {fname}（程序需要它）")
        known = set(cfg.fields) | set(rules.stg_columns(set(cfg.fields)))
        for k in cfg.key:
            if k not in known:
                errs.append(f"{source}.yaml：key 中的 {k} 不是已定义的字段")
        for fname, ftype in rules.field_types.items():
            if fname in cfg.fields and cfg.fields[fname].type != ftype:
                errs.append(f"{source}.yaml：字段 {fname} 的类型应为 {ftype}，现为 {cfg.fields[fname].type}")
    return errs


def load_source_configs(config_dir: Path = Path("configs")) -> dict[str, SourceConfig]:
    """All source configs; raises ConfigError naming every problem."""
    errs = validate_source_configs(config_dir)
    if errs:
        raise ConfigError("数据源配置有误：\n" + "\n".join(errs))
    cfgs, _ = _read_all(config_dir)
    limits = load_read_limits(config_dir)[0]
    for cfg in cfgs.values():
        cfg.limits = limits
    return cfgs
