"""Small vectorised helpers: datum shift, USCC codes, text variants."""

from __future__ import annotations

import numpy as np

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)

_A = 6378245.0
_EE = 0.00669342162296594323

M_PER_DEG_LAT = 110_950.0


def m_per_deg_lon(lat: float) -> float:
    return M_PER_DEG_LAT * float(np.cos(np.radians(lat)))


def wgs84_to_gcj02(lon, lat):
    """The standard (public) WGS-84 → GCJ-02 transform, vectorised."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    x = lon - 105.0
    y = lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = np.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def uscc_check(body17: str) -> str:
    s = sum(USCC_CHARS.index(c) * int(w) for c, w in zip(body17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - s % 31) % 31]


def uscc_valid(code: str) -> bool:
    return (len(code) == 18 and all(c in USCC_CHARS for c in code)
            and uscc_check(code[:17]) == code[17])


def make_usccs(rng: np.random.Generator, n: int, individual: np.ndarray) -> np.ndarray:
    """n distinct valid codes: 91350582… for companies, 92350582… for 个体工商户."""
    chars = np.array(list(USCC_CHARS))
    out = []
    seen: set[str] = set()
    while len(out) < n:
        m = n - len(out)
        ind = individual[len(out):len(out) + m]
        body = np.empty((m, 17), dtype=np.int64)
        body[:, 0] = 9
        body[:, 1] = np.where(ind, 2, 1)
        body[:, 2:8] = [3, 5, 0, 5, 8, 2]
        # organisation part: "MA" + 7 random chars (post-2015 style) or 9 digits (converted old codes)
        ma = rng.random(m) < 0.7
        rnd = rng.integers(0, 31, size=(m, 9))
        dig = rng.integers(0, 10, size=(m, 9))
        org = np.where(ma[:, None], rnd, dig)
        org[ma, 0] = USCC_CHARS.index("M")
        org[ma, 1] = USCC_CHARS.index("A")
        body[:, 8:17] = org
        chk = (31 - (body * USCC_WEIGHTS).sum(axis=1) % 31) % 31
        codes = ["".join(r) for r in chars[np.concatenate([body, chk[:, None]], axis=1)]]
        for c in codes:
            if c not in seen:
                seen.add(c)
                out.append(c)
    return np.array(out[:n], dtype=object)


_FW = str.maketrans("0123456789()-", "０１２３４５６７８９（）－")


def fullwidth(s: str) -> str:
    return s.translate(_FW)


def fullwidth_digits(s: str) -> str:
    return s.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
