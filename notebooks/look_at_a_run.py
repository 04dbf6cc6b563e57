# %% [markdown]
# # Look at a screening run
# An analyst's notebook (percent format: open it in Jupyter/VS Code as a notebook, or run
# it as a script). It opens the warehouse read-only and walks the layers of the last run:
# what came in, how records became premises, which signals fired, and why the top
# premises are on the list. The tests execute it on the demo world so it cannot rot.
#
#     CHEMSIEVE_DB=data/demo/warehouse.duckdb .venv/bin/python notebooks/look_at_a_run.py

# %%
import os

import duckdb

db = os.environ.get("CHEMSIEVE_DB", "data/demo/warehouse.duckdb")
con = duckdb.connect(db, read_only=True)
run_id, as_of = con.execute("SELECT run_id, as_of FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
print(f"run {run_id}, data as of {as_of}")

# %% [markdown]
# ## What came in: files, rows loaded and refused

# %%
batches = con.execute("""
    SELECT source, count(*) AS files, sum(rows_read) AS read, sum(rows_loaded) AS loaded,
           sum(rows_rejected) AS rejected
    FROM batches GROUP BY source ORDER BY source""").df()
print(batches.to_string(index=False))
reasons = con.execute("""
    SELECT source, reason, count(*) AS n FROM rejects WHERE severity = 'reject'
    GROUP BY ALL ORDER BY n DESC LIMIT 10""").df()
print(reasons.to_string(index=False))

# %% [markdown]
# ## Records → premises: how many records each premises holds, and shared buildings

# %%
shape = con.execute("""
    SELECT n_records, count(*) AS premises FROM premises GROUP BY n_records ORDER BY n_records LIMIT 12""").df()
print(shape.to_string(index=False))
shared = con.execute("SELECT count(*) FROM places WHERE n_premises > 1").fetchone()[0]
print(f"buildings holding several premises (厂中厂 candidates): {shared}")

# %% [markdown]
# ## Signals: how often each fired this run

# %%
fired = con.execute("""
    SELECT signal, family, count(*) AS premises, round(avg(strength), 2) AS mean_strength
    FROM evidence WHERE run_id = ? GROUP BY ALL ORDER BY premises DESC""", [run_id]).df()
print(fired.to_string(index=False))

# %% [markdown]
# ## The top of the list, with its reasons

# %%
top = con.execute("""
    SELECT s.rank, p.community, coalesce(p.name, '（名称不详）') AS name, s.score, s.category,
           string_agg(e.sentence, '；' ORDER BY e.strength DESC) AS reasons
    FROM scores s JOIN premises p USING (premises_id)
    LEFT JOIN evidence e ON e.run_id = s.run_id AND e.premises_id = s.premises_id
    WHERE s.run_id = ? AND s.rank <= 10 GROUP BY ALL ORDER BY s.rank""", [run_id]).df()
for r in top.itertuples():
    print(f"{r.rank:3d} {r.community} {r.name} 风险分 {r.score} 类别 {r.category}\n     {r.reasons}")
