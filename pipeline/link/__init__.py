"""Link stage: source records → `premises` and `premises_members`.

This first version links on exact keys only: the same USCC, the same core name (字号
without region and organisational form, at least four characters, so a personal name on
a power account never links by name), or the same community + road + house number.
Records joined by any chain of such keys form one premises. Several entities at one
address therefore become one premises here; telling 厂中厂 members apart is the next
version's job (issue 3).

`premises_id` is derived from the premises' anchor record (registry code first, then
license, power account, site, waybill, tip), so it stays the same across weekly runs as
long as that record exists.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.config import Config
from pipeline.db import run_sql_file

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def _load_reference(con, cfg: Config) -> None:
    comms = pd.DataFrame(cfg.communities)[["name", "lon", "lat", "work_point"]]
    con.register("_comms", comms)
    con.execute("CREATE OR REPLACE TABLE ref_communities AS SELECT * FROM _comms")
    con.unregister("_comms")
    # Spellings of a community at the start of an address (after region words).
    rows = []
    for c in cfg.communities:
        n = c["name"]
        for pat in (f"{n}社区居委会", f"{n}社区", f"{n}村委会", f"{n}村", f"{n}工业区", n, *c.get("aliases", [])):
            rows.append((pat, n))
    pats = pd.DataFrame(rows, columns=["pattern", "community"]).drop_duplicates("pattern")
    con.register("_pats", pats)
    con.execute("CREATE OR REPLACE TABLE ref_community_patterns AS SELECT * FROM _pats")
    con.unregister("_pats")
    con.execute(
        "CREATE OR REPLACE TABLE ref_settings AS SELECT ?::VARCHAR AS unassigned, ?::DOUBLE AS max_distance_m",
        [cfg.unassigned, float(cfg.campaign.get("community_max_distance_m", 1500))],
    )


_EDGE_SQL = """
WITH keyed AS (
    SELECT row_number() OVER (ORDER BY source, source_key) - 1 AS idx, *
    FROM link_records
),
keys AS (
    SELECT idx, 'uscc:' || uscc AS k, 'uscc' AS rule FROM keyed WHERE uscc IS NOT NULL AND uscc <> ''
    UNION ALL SELECT idx, 'name:' || name_key, 'name' FROM keyed WHERE name_key IS NOT NULL
    UNION ALL SELECT idx, 'addr:' || addr_key, 'address' FROM keyed WHERE addr_key IS NOT NULL
),
firsts AS (SELECT k, min(idx) AS root FROM keys GROUP BY k)
SELECT keys.idx AS a, firsts.root AS b, keys.rule
FROM keys JOIN firsts USING (k) WHERE keys.idx <> firsts.root
"""


def build_premises(con, cfg: Config) -> dict[str, int]:
    """Build premises and premises_members from the stg_* tables."""
    _load_reference(con, cfg)
    run_sql_file(con, HERE / "records.sql")
    recs = con.execute(
        "SELECT source, source_key FROM link_records ORDER BY source, source_key"
    ).df()
    n = len(recs)
    edges = con.execute(_EDGE_SQL).df()
    graph = coo_matrix(
        (np.ones(len(edges)), (edges["a"].to_numpy(), edges["b"].to_numpy())), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    # The rule that attached each record (the strongest one it has), for premises_members.
    rule = pd.Series("own", index=range(n))
    for r in ("address", "name", "uscc"):
        hit = pd.unique(pd.concat([edges.loc[edges.rule == r, "a"], edges.loc[edges.rule == r, "b"]]))
        rule.loc[hit] = r
    recs["component"] = labels
    recs["match_rule"] = rule.to_numpy()
    con.register("_comp", recs)
    con.execute("CREATE OR REPLACE TEMP TABLE link_components AS SELECT * FROM _comp")
    con.unregister("_comp")
    run_sql_file(con, HERE / "premises.sql")
    counts = dict(con.execute(
        "SELECT 'premises', count(*) FROM premises UNION ALL SELECT 'members', count(*) FROM premises_members"
    ).fetchall())
    log.info("link: %d records → %d premises", counts["members"], counts["premises"])
    return counts
