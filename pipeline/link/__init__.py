"""Link stage: source records → `premises`, `premises_members`, `places`, `link_candidates`.

Steps (each leaves a table an analyst can open):
  int_power_accounts, int_registry   views: the roster / registry plus accounts and firms
                       known only from an office's list or monthly bills (known.sql)
  int_link_records   the linkable records of every source (records.sql)
  int_link_parsed    + parsed name (core 字号, trade, form, person?) and address
                       (community, road, number, qualifier) (parse.py)
  int_link_pairs     candidate pairs from blocking rules, their comparison levels and the
                       Fellegi–Sunter match probability, m/u/λ estimated by EM on the data
                       itself (pairs.py, fellegi_sunter.py); link_model holds m/u per level;
                       `rule` names the office-practice rule a pair meets (below), and the
                       rules' own lookups are scored by the model without entering its fit
  premises …         pairs at or above `match_threshold` merged strongest first, with two
                       rules from how places really are (cluster.py, below); analyst
                       decisions (decisions.py) override the model both ways.

How premises represent shared buildings: a premises is one activity (one business, one
workshop). Registered entities at one address with different core names and different
legal representatives stay separate premises; `premises.place_id` groups premises at the
same community + road + number, and `places` counts them, so the 厂中厂 pattern is visible
to the signals. Two meters at one street number under different names stay apart
(households, rented rooms).

Records in a person's name (pairs.py, link_rules_sql). Power offices open a factory's
account in the boss's or the landlord's name, and waybills are consigned to the boss. A
meter or waybill whose name is the registry's 法定代表人/经营者 of a firm at the same
number — 社区/村 forms, a left-out community, sub-numbers (8-2号, 8号之一) and buildings
aside — is that firm's (rule `legal_rep`), at a shared building too: the name decides
which firm. On the same road with one side giving no number (`legal_rep_road`) it is,
when one firm on that road has that legal representative and one meter of that name lies
on it, and the meter is no dwelling or farm. A few numbers along the road
(`person_link.number_gap`, off by default: on varied worlds a same-named neighbour was
likelier than the boss's second workshop) it is too (`legal_rep_near`), never for a
residential meter: that is the boss's home, another door for the inspector. A
residential meter in the boss's name at the firm's own number is linked: the dwelling
behind the shop and the workshop are one door to inspect, and industrial draw on the home
tariff is evidence about the firm. A person's meter under another name links by address
only, when the address holds exactly one registered entity without a meter of its own and
the meter is not residential (a landlord's name on the workshop's meter); otherwise it
stays a separate premises of that place.

A name one character off at the same door — the boss's (林韦民 for 林伟民, same surname and
length: `legal_rep_typo`) or the firm's own on its meter or waybill (祥元 for 祥源, at least 8
characters: `name_typo`) — is a clerk's typo and links as the exact name would.

Short names (rule `short_name`): a tip, waybill or meter naming a firm by its 字号 alone
or with its trade word cut short (凯通新材 for 晋江市凯通新材料有限公司), where no address
contradicts it. A record that fits two firms that are not one business (another legal
representative, another address) equally well — within `ambiguity_margin` — links to
neither: it stays its own premises and both pairs go to link_candidates for the analyst.

A tip that names only a community in its text ("英塘村晚上有刺鼻气味…") belongs to that
community with no address (parse.py, `hint`); other towns' namesakes (安海镇灵水村) do not.

`premises_id` is stable across weekly runs: a premises takes the id most of its records
had in the previous run (table link_premises_ids), else one derived from its anchor record.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.db import run_sql_file
from pipeline.link.cluster import cluster, stable_ids
from pipeline.link.decisions import load_decisions
from pipeline.link.fellegi_sunter import chance_agreement, fit_em
from pipeline.link.pairs import (blocking_rules, candidate_pairs_sql, comparisons_sql, link_rules_sql,
                                 rule_blocking_rules)
from pipeline.link.parse import parse_records

log = logging.getLogger(__name__)
HERE = Path(__file__).parent

# comparison → number of levels (0 … L−1; −1 means no information)
LEVELS = {"g_uscc": 2, "g_person": 2, "g_address": 5, "g_geo": 4, "g_name": 5}
COMPARISONS = list(LEVELS)
# scales on which a higher level can only mean more agreement (distance, name similarity,
# address: different community < other road < neighbouring number < same number)
MONOTONE = ("g_geo", "g_name", "g_address")
_ANCHOR = {"registry": 1, "licenses": 2, "power_accounts": 3, "sites": 4, "waybills": 5, "tips": 6}

IDS_DDL = """
CREATE TABLE IF NOT EXISTS link_premises_ids (source VARCHAR, source_key VARCHAR, premises_id VARCHAR)
"""


def _load_reference(con, cfg: Config) -> None:
    comms = pd.DataFrame(cfg.communities)[["name", "lon", "lat", "work_point"]]
    con.register("_comms", comms)
    con.execute("CREATE OR REPLACE TABLE ref_communities AS SELECT * FROM _comms")
    con.unregister("_comms")
    con.execute(
        "CREATE OR REPLACE TABLE ref_settings AS SELECT ?::VARCHAR AS unassigned, ?::DOUBLE AS max_distance_m",
        [cfg.unassigned, float(cfg.campaign.get("community_max_distance_m", 1500))],
    )


def _patterns(con, table: str) -> pd.DataFrame:
    """Distinct comparison vectors of a pair table with their counts."""
    cols = ", ".join(COMPARISONS)
    return con.execute(f"SELECT {cols}, count(*) AS n FROM {table} GROUP BY ALL").df()


def _chance_agreement(con, n_records: int, lk: dict) -> dict[str, np.ndarray]:
    """u from random record pairs (deterministic seed), as Splink estimates it."""
    if n_records < 2:
        return {c: np.full(L, 1.0 / L) for c, L in LEVELS.items()}
    rng = np.random.default_rng(int(lk["u_seed"]))
    k = int(min(lk["u_sample_pairs"], n_records * (n_records - 1) // 2))
    a = rng.integers(0, n_records, size=k)
    b = rng.integers(0, n_records, size=k)
    keep = a != b
    df = pd.DataFrame({"rid_l": np.minimum(a, b)[keep], "rid_r": np.maximum(a, b)[keep]}).drop_duplicates()
    con.register("_rp", df)
    con.execute("CREATE OR REPLACE TEMP TABLE int_link_candidates AS SELECT * FROM _rp")
    con.unregister("_rp")
    con.execute(comparisons_sql(lk["geo_distance_m"], lk["name_similarity"], "int_link_random_pairs"))
    pat = _patterns(con, "int_link_random_pairs")
    con.execute("DROP TABLE int_link_random_pairs")
    return chance_agreement(pat, LEVELS)


def _score_pairs(con, lk: dict, n_records: int) -> int:
    """Candidate pairs with comparison levels and match probability in int_link_pairs;
    m/u/λ per level in link_model. Returns the number of candidate pairs."""
    u_start = _chance_agreement(con, n_records, lk)
    con.execute(candidate_pairs_sql(blocking_rules(grid_m=float(lk["geo_distance_m"][1]))))
    con.execute(comparisons_sql(lk["geo_distance_m"], lk["name_similarity"]))
    fit_on = _patterns(con, "int_link_pairs")
    # the rules' own lookups: scored by the model, not part of its estimation
    con.execute(candidate_pairs_sql(rule_blocking_rules(), exclude="int_link_pairs"))
    con.execute(comparisons_sql(lk["geo_distance_m"], lk["name_similarity"], "int_link_rule_pairs"))
    con.execute("INSERT INTO int_link_pairs SELECT * FROM int_link_rule_pairs")
    con.execute("DROP TABLE int_link_rule_pairs")
    pat = _patterns(con, "int_link_pairs")
    if len(pat):
        model = fit_em(fit_on, LEVELS, u_start, float(lk["em_start_lambda"]), float(lk["em_prior_pairs"]),
                       int(lk["em_max_iterations"]), float(lk["em_tolerance"]), monotone=MONOTONE)
        pat["prob"] = model.probability(pat)
        pat["log2_bf"] = model.log2_bayes_factor(pat)
        mt = model.table()
        mt["lambda"] = model.lam
    else:
        pat["prob"] = pd.Series(dtype=float)
        pat["log2_bf"] = pd.Series(dtype=float)
        mt = pd.DataFrame({"comparison": pd.Series(dtype=object), "level": pd.Series(dtype="int64"),
                           **{c: pd.Series(dtype=float) for c in ("m", "u", "log2_bf", "lambda")}})
    con.register("_mt", mt)
    con.execute("CREATE OR REPLACE TABLE link_model AS SELECT * FROM _mt")
    con.unregister("_mt")
    con.register("_pat", pat.drop(columns=["n"]))
    cols = ", ".join(COMPARISONS)
    con.execute(f"""
        CREATE OR REPLACE TABLE int_link_pairs AS
        SELECT p.*, pt.prob, pt.log2_bf,
               l.source AS source_l, r.source AS source_r
        FROM int_link_pairs p JOIN _pat pt USING ({cols})
        JOIN int_link_parsed l ON l.rid = p.rid_l JOIN int_link_parsed r ON r.rid = p.rid_r
    """)
    con.unregister("_pat")
    pl, sn = lk["person_link"], lk["short_name"]
    con.execute(link_rules_sql(pl["sources"], pl["number_gap"], sn["sources"]))
    return con.execute("SELECT count(*) FROM int_link_pairs").fetchone()[0]


def _place_rules(recs: pd.DataFrame, pairs: pd.DataFrame, accepted: pd.Series) -> pd.Series:
    """Drop address-only links that would put one business's records into another's
    premises at a shared address (see module docstring). Returns the kept mask."""
    # a name one character off at the same door names the same business or boss (rule)
    identity = ((pairs["g_uscc"] == 1) | (pairs["g_name"] >= 2) | (pairs["g_person"] == 1)
                | pairs["rule"].isin(["legal_rep_typo", "name_typo"]).to_numpy())
    addr_only = accepted & ~identity
    if not addr_only.any():
        return accepted
    src = recs["source"].to_numpy()
    is_entity = (src == "registry")
    # the registered entity each record is identity-linked to (its own, for registry rows)
    ent = pd.Series(np.where(is_entity, np.arange(len(recs)), -1), index=recs.index)
    idl = pairs[accepted & identity]
    for a, b in ((idl.rid_l, idl.rid_r), (idl.rid_r, idl.rid_l)):
        hit = is_entity[a.to_numpy()] & ~is_entity[b.to_numpy()]
        ent.iloc[b.to_numpy()[hit]] = a.to_numpy()[hit]
    addr_key = (recs["community"].fillna("") + "|" + recs["road"].fillna("") + "|" + recs["number"].fillna(""))
    addr_key = addr_key.where(recs["road"].notna() & recs["number"].notna())
    entities_at = (addr_key[is_entity].dropna().groupby(addr_key[is_entity].dropna()).size())
    # an entity "has its own meter" when a non-person account is identity-linked to it
    acct_named = (src == "power_accounts") & ~recs["is_person"].fillna(False).to_numpy()
    has_meter = set(ent[(ent >= 0).to_numpy() & acct_named].to_numpy())
    # judge every address-only accepted pair at once
    idx = np.flatnonzero(addr_only.to_numpy())
    l = pairs["rid_l"].to_numpy()[idx]
    r = pairs["rid_r"].to_numpy()[idx]
    ent_a = ent.to_numpy()
    el, er = ent_a[l], ent_a[r]
    both_meters = (src[l] == "power_accounts") & (src[r] == "power_accounts")
    e = np.where(el >= 0, el, er)                 # the entity side
    x = np.where(el >= 0, r, l)                   # the other side
    key_e = addr_key.to_numpy()[np.maximum(e, 0)]
    n_here = pd.Series(key_e).map(entities_at).fillna(1).to_numpy()
    person_meter = (src[x] == "power_accounts") & recs["is_person"].fillna(False).to_numpy()[x]
    residential = recs["category"].to_numpy()[x] == "居民生活用电"
    meter_of_e = np.isin(e, list(has_meter))
    name_differs = pairs["g_name"].to_numpy()[idx] == 0
    verdict = np.select(
        [both_meters,                 # two meters at one number under different names: two households/tenants
         (el < 0) & (er < 0),         # neither side is a registered business
         (el >= 0) & (er >= 0),       # both tied to businesses: only the same one
         person_meter,                # a person's meter: only if the business has none and it is not a dwelling
         name_differs],               # a different business name at this address
        [False, True, el == er, (n_here <= 1) & ~meter_of_e & ~residential, False],
        default=n_here <= 1)
    keep = accepted.copy()
    keep.iloc[idx] = verdict
    return keep


def _rule_scores(lk: dict) -> dict[str, float]:
    ps = float(lk["person_link"]["score"])
    return {"legal_rep": ps, "legal_rep_road": ps, "legal_rep_near": ps, "legal_rep_typo": ps, "name_typo": ps,
            "short_name": float(lk["short_name"]["score"])}


def _unambiguous(recs: pd.DataFrame, pairs: pd.DataFrame, accepted: pd.Series, margin: float) -> pd.Series:
    """A record tied to several registered firms that are not one business (no accepted link
    between them) links to the clearly best one, or — when two fit within `margin` (a short
    name two firms share, an address two firms registered) — to none: it stays its own
    premises and the pairs are offered in link_candidates. Returns the kept mask."""
    src = recs["source"].to_numpy()
    is_entity = src == "registry"
    acc = pairs[accepted]
    l, r = acc["rid_l"].to_numpy(), acc["rid_r"].to_numpy()
    ee = is_entity[l] & is_entity[r]
    xe = is_entity[l] ^ is_entity[r]
    if not xe.any():
        return accepted
    # firms one business by the accepted firm–firm links (sister companies at one address)
    parent = {}

    def find(a):
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    # firms with one legal representative, or one 字号 at one address, are one business here
    # (sister companies); one 字号 at two addresses is two firms a short name cannot tell apart
    ents = np.flatnonzero(is_entity)
    same = []
    place = recs["community"] + "|" + recs["road"] + "|" + recs["number"]
    for key in (recs["person_key"], recs["core"] + "|" + place):
        v = key.to_numpy()[ents]
        ok = pd.notna(v)
        first = pd.Series(ents[ok]).groupby(v[ok]).transform("min").to_numpy()
        same += list(zip(first.tolist(), ents[ok].tolist()))
    for a, b in sorted(same + list(zip(l[ee].tolist(), r[ee].tolist()))):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    t = pd.DataFrame({"i": acc.index[xe], "ent": np.where(is_entity[l[xe]], l[xe], r[xe]),
                      "rec": np.where(is_entity[l[xe]], r[xe], l[xe]), "prob": acc["prob"].to_numpy()[xe]})
    t["firm"] = [find(e) for e in t["ent"].tolist()]
    # the best probability per (record, business), then per record
    per = t.groupby(["rec", "firm"])["prob"].max().rename("p_firm").reset_index()
    per["p_best"] = per.groupby("rec")["p_firm"].transform("max")
    per["contender"] = per["p_firm"] >= per["p_best"] - margin
    n_cont = per.groupby("rec")["contender"].sum()
    t = t.merge(per[["rec", "firm", "contender"]], on=["rec", "firm"])
    t["n_cont"] = t["rec"].map(n_cont)
    drop = (~t["contender"]) | (t["n_cont"] > 1)
    keep = accepted.copy()
    keep.loc[t.loc[drop, "i"].to_numpy()] = False
    return keep


def known_records(con) -> None:
    """int_power_accounts / int_registry: the full exports plus what only a list names (known.sql)."""
    run_sql_file(con, HERE / "known.sql")


def build_premises(con, cfg: Config) -> dict[str, int]:
    """Build premises, premises_members, places and link_candidates from the stg_* tables."""
    from pipeline.ingest import ensure_schema

    # a source no file has come for yet is an empty table, never a missing one
    ensure_schema(con)
    lk = cfg.linking
    _load_reference(con, cfg)
    known_records(con)
    run_sql_file(con, HERE / "records.sql")
    aliases = {c["name"]: c.get("aliases", []) for c in cfg.communities}
    n = parse_records(con, [c["name"] for c in cfg.communities], aliases)
    recs = con.execute(
        "SELECT rid, source, source_key, is_person, community, road, number, person_key, core, category "
        "FROM int_link_parsed ORDER BY rid").df()
    _score_pairs(con, lk, n)
    n_decisions = load_decisions(con, Path(lk["decisions_dir"]) if lk.get("decisions_dir") else None)
    threshold = float(lk["match_threshold"])
    # only pairs the model accepts come into Python (plus any the analyst decided on)
    pairs = con.execute(f"""
        SELECT rid_l, rid_r, prob, rule, {", ".join(COMPARISONS)} FROM int_link_pairs p
        WHERE prob >= ? OR rule IS NOT NULL OR EXISTS (
            SELECT 1 FROM link_decisions d
            JOIN int_link_parsed a ON a.source = d.source_l AND a.source_key = d.key_l
            JOIN int_link_parsed b ON b.source = d.source_r AND b.source_key = d.key_r
            WHERE (least(a.rid, b.rid), greatest(a.rid, b.rid)) = (p.rid_l, p.rid_r))
    """, [threshold]).df()
    key_of = {(s, k): r for r, s, k in zip(recs.rid, recs.source, recs.source_key)}
    forced = pd.Series(False, index=pairs.index)
    banned = pd.Series(False, index=pairs.index)
    extra, cannot = [], []
    if n_decisions:
        dec = con.execute("SELECT source_l, key_l, source_r, key_r, decision FROM link_decisions").fetchall()
        pidx = {(a, b): i for i, a, b in zip(pairs.index, pairs.rid_l, pairs.rid_r)}
        for sl, kl, sr, kr, d in dec:
            a, b = key_of.get((sl, kl)), key_of.get((sr, kr))
            if a is None or b is None:
                continue
            a, b = min(a, b), max(a, b)
            i = pidx.get((a, b))
            if d == "same":
                if i is None:
                    extra.append((a, b))
                else:
                    forced.at[i] = True
            else:
                cannot.append((a, b))
                if i is not None:
                    banned.at[i] = True
    # a rule pair links at its rule's score unless the model is surer
    rule_score = pairs["rule"].map(_rule_scores(lk)).astype(float)
    pairs["prob_model"] = pairs["prob"]
    pairs["prob"] = np.fmax(pairs["prob"].to_numpy(), rule_score.to_numpy())
    accepted = (pairs["prob"] >= threshold) & ~banned
    accepted = _place_rules(recs, pairs, accepted)
    accepted = _unambiguous(recs, pairs, accepted, float(lk["ambiguity_margin"])) | forced
    edges = pairs.loc[accepted, ["rid_l", "rid_r", "prob"]].assign(forced=forced[accepted])
    if extra:
        edges = pd.concat([edges, pd.DataFrame(extra, columns=["rid_l", "rid_r"]).assign(prob=1.0, forced=True)])
    # registered entities: registry rows (licences and waybills join them through the USCC)
    entity_of = [f"{s}:{k}" if s == "registry" else None for s, k in zip(recs.source, recs.source_key)]
    core = dict(zip(entity_of, recs["core"]))
    person = dict(zip(entity_of, recs["person_key"]))

    def compatible(e1, e2):
        return (e1 == e2 or (core.get(e1) and core.get(e1) == core.get(e2))
                or (person.get(e1) and person.get(e1) == person.get(e2)))

    roots = cluster(n, entity_of, compatible, edges, cannot)
    members = recs[["rid", "source", "source_key"]].copy()
    members["cluster"] = roots
    members["anchor_rank"] = members["source"].map(_ANCHOR)
    con.execute(IDS_DDL)
    previous = con.execute("SELECT source, source_key, premises_id FROM link_premises_ids").df()
    members["premises_id"] = stable_ids(members, previous).to_numpy()
    # match score: the strongest accepted pair that tied the record into its premises
    e = edges.merge(members[["rid", "cluster"]], left_on="rid_l", right_on="rid")
    best = pd.concat([e[["rid_l", "prob"]].rename(columns={"rid_l": "rid"}),
                      e[["rid_r", "prob"]].rename(columns={"rid_r": "rid"})]).groupby("rid")["prob"].max()
    members["match_score"] = members["rid"].map(best)
    # the rule of the pair that gave the record its match score (a model link otherwise)
    er = pairs.loc[accepted, ["rid_l", "rid_r", "prob", "rule", "prob_model"]]
    er = er[er["rule"].notna()]
    by_rule = pd.concat([er[["rid_l", "prob", "rule"]].rename(columns={"rid_l": "rid"}),
                         er[["rid_r", "prob", "rule"]].rename(columns={"rid_r": "rid"})])
    by_rule = by_rule[by_rule["prob"] >= by_rule["rid"].map(best)]
    by_rule = by_rule.sort_values(["rid", "rule"]).drop_duplicates("rid").set_index("rid")["rule"]
    members["match_rule"] = np.where(members["match_score"].isna(), "own", "fellegi_sunter")
    rule_of = members["rid"].map(by_rule)
    members["match_rule"] = np.where(rule_of.notna(), rule_of.astype(object), members["match_rule"])
    members.loc[members["match_score"].isna(), "match_score"] = 1.0
    if forced.any() or extra:
        fr = set(pairs.loc[forced, "rid_l"]) | set(pairs.loc[forced, "rid_r"]) | {x for p in extra for x in p}
        members.loc[members["rid"].isin(fr), "match_rule"] = "analyst"
    con.register("_assign", members[["rid", "premises_id", "match_score", "match_rule"]])
    # explicit types: with no records at all (a readings file alone) pandas gives float columns
    con.execute("CREATE OR REPLACE TEMP TABLE link_assign AS SELECT rid::BIGINT AS rid, "
                "premises_id::VARCHAR AS premises_id, match_score::DOUBLE AS match_score, "
                "match_rule::VARCHAR AS match_rule FROM _assign")
    con.unregister("_assign")
    run_sql_file(con, HERE / "premises.sql")
    con.execute("DELETE FROM link_premises_ids")
    con.execute("INSERT INTO link_premises_ids SELECT source, source_key, premises_id FROM premises_members")
    # candidates: plausible pairs the model did not link, for evidence and for the analyst
    floor = float(lk["candidate_floor"])
    con.execute("""
        CREATE OR REPLACE TABLE link_candidates AS
        WITH pr AS (
            -- a rule pair left unlinked (several firms fit, a dwelling along the road) is
            -- offered at its rule's score
            SELECT *, greatest(prob, CASE WHEN starts_with(rule, 'legal_rep') OR rule = 'name_typo' THEN $lr
                                          WHEN rule = 'short_name' THEN $sn ELSE 0 END) AS score_any
            FROM int_link_pairs
        )
        SELECT pr.rid_l, pr.rid_r, round(pr.score_any, 3) AS score,
               al.premises_id AS premises_l, ar.premises_id AS premises_r,
               l.source AS source_l, l.source_key AS key_l, l.name AS name_l, l.address AS address_l,
               r.source AS source_r, r.source_key AS key_r, r.name AS name_r, r.address AS address_r,
               pr.rule, round(pr.prob, 3) AS model_score
        FROM pr
        JOIN link_assign al ON al.rid = pr.rid_l JOIN link_assign ar ON ar.rid = pr.rid_r
        JOIN int_link_parsed l ON l.rid = pr.rid_l JOIN int_link_parsed r ON r.rid = pr.rid_r
        WHERE (pr.prob >= $floor OR pr.rule IS NOT NULL) AND al.premises_id <> ar.premises_id
          AND NOT EXISTS (SELECT 1 FROM link_decisions d
                          WHERE (d.source_l, d.key_l, d.source_r, d.key_r) IN
                                ((l.source, l.source_key, r.source, r.source_key),
                                 (r.source, r.source_key, l.source, l.source_key)))
        ORDER BY score DESC, premises_l, premises_r, source_l, key_l, source_r, key_r
    """, {"floor": floor, "lr": float(lk["person_link"]["score"]), "sn": float(lk["short_name"]["score"])})
    counts = dict(con.execute(
        "SELECT 'premises', count(*) FROM premises UNION ALL SELECT 'members', count(*) FROM premises_members "
        "UNION ALL SELECT 'pairs', count(*) FROM int_link_pairs UNION ALL SELECT 'candidates', count(*) FROM link_candidates "
        "UNION ALL SELECT 'shared_places', count(*) FROM places WHERE n_premises > 1"
    ).fetchall())
    log.debug("link: %d records, %d candidate pairs → %d premises (%d places shared), %d candidates below threshold",
              counts["members"], counts["pairs"], counts["premises"], counts["shared_places"], counts["candidates"])
    log.info("场所归并：%d 条记录 → %d 个场所（%d 处地址有多个场所），疑似同一场所待确认 %d 对",
             counts["members"], counts["premises"], counts["shared_places"], counts["candidates"])
    return counts
