"""The rules of every source, by name (order = config.SOURCES)."""

from pipeline.ingest import (licenses, outcomes, power_accounts, power_readings, registry, sites, tips,
                             tracks, waybills)
from pipeline.ingest.config import SOURCES

RULES = {m.RULES.source: m.RULES for m in (registry, licenses, power_accounts, power_readings,
                                           waybills, tracks, tips, sites, outcomes)}
assert tuple(RULES) == SOURCES
