"""Badge issuance: tokens signed (plus sealed record) and QR PNGs rendered per second.

    python bench/badge_issuance.py [--count 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from server.services.issuing.badges import qr_png
from shared import BadgeClaims, SigningKey, encode_token, seal_record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    key = SigningKey.generate(1)
    day0 = dt.date.today()
    days = frozenset(day0 + dt.timedelta(days=i) for i in range(4))
    fields = {"name": "欧阳娜娜", "organization": "Sinomach", "access_level": "VIP Guest"}

    t0 = time.perf_counter()
    codes = [encode_token(BadgeClaims(1, i, 1, days, frozenset({0, 1, 7})), key, day0)
             for i in range(args.count)]
    t_sign = time.perf_counter() - t0

    t0 = time.perf_counter()
    for code in codes:
        seal_record(code, fields)
    t_seal = time.perf_counter() - t0

    t0 = time.perf_counter()
    size = 0
    for code in codes:
        size += len(qr_png(code))
    t_png = time.perf_counter() - t0

    n = args.count
    print(f"badges: {n}")
    print(f"sign tokens        {n / t_sign:10.0f} /s  ({t_sign * 1e6 / n:.0f} us each)")
    print(f"seal records       {n / t_seal:10.0f} /s  ({t_seal * 1e6 / n:.0f} us each)")
    print(f"render QR PNG      {n / t_png:10.0f} /s  ({t_png * 1e6 / n:.0f} us each, {size / n / 1024:.1f} KiB)")
    total = t_sign + t_seal + t_png
    print(f"all three          {n / total:10.0f} /s  ({total:.1f} s for {n})")


if __name__ == "__main__":
    main()
