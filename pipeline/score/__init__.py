"""Score stage: combine a premises' evidence into a 0–100 risk score.

score = Σ weight × strength, times (1 + corroboration_bonus × (families − 1)) when
several offices' data point at the same place, capped at max_score. The suggested
整治类别 follows from the shape of the premises (licensed, registered, several entities,
cover name, unregistered) once activity evidence (power, transport, tips, sites) fired.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.score import text

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

SCORES_DDL = """
CREATE TABLE IF NOT EXISTS scores (
    run_id INTEGER, premises_id VARCHAR, community VARCHAR, score DOUBLE, families INTEGER,
    category INTEGER, rank_in_community BIGINT, rank BIGINT, discount_note VARCHAR
)
"""


def score_premises(con, cfg: Config, run_id: int, as_of) -> int:
    con.execute(SCORES_DDL)
    con.execute("ALTER TABLE scores ADD COLUMN IF NOT EXISTS discount_note VARCHAR")
    con.execute("ALTER TABLE scores ADD COLUMN IF NOT EXISTS category_note VARCHAR")
    con.execute("DELETE FROM scores WHERE run_id = ?", [run_id])
    w = pd.DataFrame(
        [(k, float(v["weight"])) for k, v in cfg.scoring["signals"].items()],
        columns=["signal", "weight"],
    )
    con.register("_w", w)
    con.execute("CREATE OR REPLACE TEMP TABLE ref_signal_weights AS SELECT * FROM _w")
    con.unregister("_w")
    con.execute(
        (HERE / "scores.sql").read_text(encoding="utf-8"),
        {"run_id": run_id, "as_of": as_of, "max_score": float(cfg.scoring["max_score"]),
         "bonus": float(cfg.scoring["corroboration_bonus"]),
         "min_family_points": float(cfg.scoring.get("corroboration_min_points", 0)),
         "licensed_discount": float(cfg.scoring.get("licensed_discount", 0.5)),
         "grace_days": int(cfg.scoring.get("licence_renewal_grace_days", 180)),
         "legit_re": "|".join(re.escape(w) for w in cfg.scoring.get("legit_name_words", ["加油站"])),
         **{f"why_{k}": v for k, v in text.CATEGORY_NOTES.items()},
         "cover_re": "|".join(re.escape(w) for w in cfg.scoring["signals"].get("cover_name", {}).get(
             "words", ["生物", "科技", "新材料", "化工厂"]))},
    )
    n = con.execute("SELECT count(*) FROM scores WHERE run_id = ? AND score > 0", [run_id]).fetchone()[0]
    log.debug("score: %d premises with evidence", n)
    log.info(text.LOG_SCORED.format(n=n))
    return n
