"""From scored pairs to premises: constrained clustering and stable premises ids.

Accepted pairs are merged strongest first (union–find). Two registered entities never
end up in one premises unless their core names match or they share a legal
representative: several entities at one address stay separate premises of one *place*
(厂中厂, shared buildings) — the `place_id` column of `premises` groups them.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


class _UF:
    def __init__(self, n: int, entity: list[frozenset]):
        self.parent = np.arange(n)
        self.entities = {i: e for i, e in enumerate(entity)}   # root → registered entities

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root


def cluster(n: int, entity_of: list[str | None], compatible, edges: pd.DataFrame,
            cannot: list[tuple[int, int]] = ()) -> np.ndarray:
    """Merge records along edges (rid_l, rid_r, prob, forced) in descending order.

    entity_of[i] is the registered entity a record stands for (a registry/licence key) or
    None; compatible(e1, e2) says whether two entities may share a premises. Forced edges
    (analyst-confirmed) merge regardless; `cannot` pairs (analyst-rejected) never end up in
    one premises, not even through other records.
    """
    uf = _UF(n, [frozenset([e]) if e else frozenset() for e in entity_of])
    banned: dict[int, set[int]] = {}
    for a, b in cannot:
        banned.setdefault(int(a), set()).add(int(b))
        banned.setdefault(int(b), set()).add(int(a))
    order = edges.sort_values(["forced", "prob", "rid_l", "rid_r"], ascending=[False, False, True, True])
    for a, b, forced in zip(order["rid_l"].to_numpy(), order["rid_r"].to_numpy(), order["forced"].to_numpy()):
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            continue
        ea, eb = uf.entities[ra], uf.entities[rb]
        if not forced and ea and eb and not all(compatible(x, y) for x in ea for y in eb):
            continue
        ba, bb = banned.get(ra), banned.get(rb)
        if (ba and any(uf.find(x) == rb for x in ba)) or (bb and any(uf.find(x) == ra for x in bb)):
            continue
        if ba or bb:
            banned[ra] = (ba or set()) | (bb or set())
            banned.pop(rb, None)
        uf.parent[rb] = ra
        uf.entities[ra] = ea | eb
        del uf.entities[rb]
    return np.array([uf.find(i) for i in range(n)])


def stable_ids(members: pd.DataFrame, previous: pd.DataFrame) -> pd.Series:
    """premises_id per cluster: the id most of its records had last run, else a new id
    from the cluster's anchor record. members: rid, cluster, source, source_key, anchor_rank.
    previous: source, source_key, premises_id (may be empty)."""
    sizes = members.groupby("cluster").size().rename("size")
    m = members.merge(previous, on=["source", "source_key"], how="inner")
    votes = m.groupby(["cluster", "premises_id"]).size().rename("n").reset_index()
    votes = votes.join(sizes, on="cluster")
    # bigger clusters choose first, so a split keeps the id on its larger part; each old id
    # goes to one cluster only
    votes = votes.sort_values(["size", "cluster", "n", "premises_id"], ascending=[False, True, False, True])
    votes = votes.drop_duplicates("premises_id").drop_duplicates("cluster")
    chosen = dict(zip(votes["cluster"], votes["premises_id"]))
    anchors = (members.sort_values(["cluster", "anchor_rank", "source", "source_key"])
               .drop_duplicates("cluster"))
    anchors = anchors[~anchors["cluster"].isin(chosen)]
    taken = set(chosen.values())
    keys = (anchors["source"] + ":" + anchors["source_key"]).tolist()
    for c, key in zip(anchors["cluster"].tolist(), keys):
        pid = "P" + hashlib.sha256(key.encode()).hexdigest()[:10].upper()
        while pid in taken:   # practically never; keeps ids unique
            pid = "P" + hashlib.sha256((pid + key).encode()).hexdigest()[:10].upper()
        chosen[c] = pid
        taken.add(pid)
    return members["cluster"].map(chosen)
