"""registry_chemical: the registration claims chemical production (or sale) without the
hazardous-chemicals licence that would allow it.

The scope is read as sentences (scope.py): an item excluded by "（不含危险化学品）" claims
nothing; "生产/制造/加工" of a chemical is a strong claim, "销售/批发" a weak one; a chemical
industry code (GB/T 4754 division 25–28, DESIGN §8) or 化工/化学 in the name counts as a
claim to make. A production claim is covered by a 安全生产许可, a sale claim or a name by
any licence. A 使用许可 covers a production claim too: it is the licence the safety office
issues to a chemical maker that uses hazardous chemicals to make products outside the
catalogue (a water-based ink, a dye auxiliary), so a maker holding one is a known, licensed
chemical firm; only a 经营许可 (trade) does not cover making. Whether the licence is still
valid, and whether its scope covers what is received, is the licence signals' business
(license_scope), not this one's.

The words — chemical products and processes, and the traps that are not chemicals
(园林绿化工程, 化学药制剂, 柴油机, 树脂工艺品, 化工机械) — are configs/chemical_words.yaml; a
name's 化工/化学 counts only outside such a trap (scope.named_words).
"""

from __future__ import annotations

import pandas as pd

from pipeline.signals.scope import LEXICON, load_lexicon, named_words, read_scope

_SQL = """
SELECT m.premises_id, r.name, r.industry_code, r.industry, r.scope,
       (SELECT list(DISTINCT l.license_type ORDER BY l.license_type) FROM premises_members ml
          JOIN stg_licenses l ON ml.source = 'licenses' AND l.license_no = ml.source_key
         WHERE ml.premises_id = m.premises_id) AS licences
FROM premises_members m JOIN int_registry r ON m.source = 'registry' AND r.source_key = m.source_key
WHERE coalesce(r.status, '存续') NOT IN ('注销', '迁出')
"""


def lexicon_path(cfg):
    """The analyst's chemical_words.yaml beside the other configs, else the shipped one."""
    from pathlib import Path

    p = getattr(cfg, "config_dir", None)
    mine = Path(p) / "chemical_words.yaml" if p is not None else None
    return mine if mine is not None and mine.exists() else LEXICON


def evidence(con, cfg, params) -> pd.DataFrame:
    rows = con.execute(_SQL).df()
    # signal_params turns word lists into regexes; the lexicon reading needs the words
    name_words = (cfg.scoring["signals"].get("registry_chemical") or {}).get("name_words", ["化工", "化学"])
    prefixes = tuple(str(p) for p in params.get("industry_prefixes", ["25", "26", "27", "28"]))
    lex = load_lexicon(lexicon_path(cfg))
    readings = {s: read_scope(s, lex) for s in rows["scope"].dropna().unique()}
    out = []
    for r in rows.itertuples(index=False):
        rd = readings.get(r.scope) if isinstance(r.scope, str) else None
        lic = {x for x in r.licences if isinstance(x, str)} if hasattr(r.licences, "__iter__") else set()
        code = r.industry_code if isinstance(r.industry_code, str) else ""
        chem_code = code[:2] in prefixes
        name = r.name if isinstance(r.name, str) else ""
        named = named_words(name, name_words, lex)
        makes = rd.makes if rd else []
        sells = rd.sells if rd else []
        makes_licensed = bool(lic & {"安全生产许可", "使用许可"})
        if (makes or chem_code) and not makes_licensed or (named and not lic):
            strength = 1.0 if (makes and chem_code) else 0.8 if (makes or chem_code) else 0.5
            parts = []
            if makes:
                parts.append(f"经营范围写明生产/加工“{'、'.join(makes[:4])}”")
            if chem_code:
                parts.append(f"行业代码 {code}（{r.industry or '化工类'}）")
            if named and not makes:
                parts.append(f"名称含“{'、'.join(named)}”")
            sentence = "，".join(parts) + ("，但无危险化学品安全生产许可或使用许可" if (makes or chem_code)
                                          else "，但无任何危险化学品许可")
            out.append((r.premises_id, strength, "、".join(makes or named or [code]), "无安全生产许可或使用许可", sentence))
        elif sells and not lic:
            out.append((r.premises_id, params.get("sale_strength", 0.3), "、".join(sells[:4]), "无经营许可",
                        f"经营范围含销售“{'、'.join(sells[:4])}”（未注明不含危险化学品），无危险化学品经营许可"))
    df = pd.DataFrame(out, columns=["premises_id", "strength", "value", "baseline", "sentence"])
    # one row per premises: the strongest claim
    return df.sort_values(["premises_id", "strength", "sentence"], ascending=[True, False, True]).drop_duplicates("premises_id")
