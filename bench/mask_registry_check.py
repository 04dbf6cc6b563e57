"""How much the tip masker (pipeline/ingest/mask.py) would change real registry text.

Reads ../shared/reference/fujian_registry (not in the repository: licence) and masks its
names, addresses and business scopes with no reporter known. Addresses and names carry no
phone numbers, so every change is an over-mask; the script prints counts and the changed
examples so a human can judge them.  Not run in CI.

    .venv/bin/python bench/mask_registry_check.py [path/to/fujian.csv.gz]
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

from pipeline.ingest.mask import mask_text

DEFAULT = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "fujian_registry" / \
    "fujian_registrations_1978-2004_not_jinjiang.csv.gz"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/reference/fujian_registry/"
                                                             "fujian_registrations_1978-2004_not_jinjiang.csv.gz")
    cols = ("企业名称", "注册地址", "经营范围", "法人代表")
    n = 0
    changed = {c: [] for c in cols}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            n += 1
            for c in cols:
                v = row.get(c) or ""
                m = mask_text(v)
                if m != v:
                    changed[c].append((v, m))
    print(f"rows: {n}")
    for c in cols:
        print(f"{c}: changed {len(changed[c])} ({100.0 * len(changed[c]) / max(n, 1):.3f} %)")
        for v, m in changed[c][:15]:
            print(f"    {v[:70]}\n -> {m[:70]}")


if __name__ == "__main__":
    main()
