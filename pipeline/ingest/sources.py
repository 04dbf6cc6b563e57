"""The rules of every source, by name (order = config.SOURCES)."""

from pipeline.ingest import (licenses, outcomes, power_accounts, power_readings, power_surge_list, registry,
                             registry_list, sites, tips, track_alarms, tracks, waybills)
from pipeline.ingest.config import SOURCES

RULES = {m.RULES.source: m.RULES for m in (registry, registry_list, licenses, power_accounts, power_readings,
                                           power_surge_list, waybills, tracks, track_alarms, tips, sites,
                                           outcomes)}
assert tuple(RULES) == SOURCES
