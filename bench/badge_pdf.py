"""Badge PDF throughput: one 200-badge print job, and single-badge PDFs as the mailer makes them.

Run: .venv/bin/python bench/badge_pdf.py [--count 200] [--singles 20]
Bounded by the counts; prints badges/s and ms per badge for each case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.services.issuing.badge_pdf import BadgePrint, render_badges_pdf

NAMES = ["محمد بن عبد الله العتيبي", "欧阳娜娜", "Zoë Ångström-Øyen", "Александр Пушкин",
         "Jean-Baptiste Dupont", "王小明", "Đặng Thị Ngọc Hân", "Fatima Al-Zahra"]
LEVELS = [("VIP", "#C9A227"), ("Speaker", "#2E7D32"), ("Exhibitor", "#1565C0"), ("贵宾", "#B71C1C")]


def make_badges(count: int, seed: int = 1) -> list[BadgePrint]:
    rng = random.Random(seed)
    day0 = dt.date(2025, 10, 14)
    badges = []
    for i in range(count):
        level, colour = LEVELS[i % len(LEVELS)]
        badges.append(BadgePrint(
            name=NAMES[i % len(NAMES)], organization="Siemens AG", country="DE",
            access_level=level, level_colour=colour, zones=("Main Hall", "VIP Lounge"),
            days=tuple(day0 + dt.timedelta(days=d) for d in range(1 + i % 4)),
            badge_number=f"{i:06d}-{i % 10}",
            qr_text="".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(131)),
            event_name="World Manufacturing Convention 2025", language="zh" if i % 3 == 0 else "en",
        ))
    return badges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--singles", type=int, default=20)
    args = parser.parse_args()

    render_badges_pdf(make_badges(1))  # font discovery and imports, paid once per process
    for layout in ("a6", "a4-sheet"):
        badges = make_badges(args.count)
        start, cpu = time.perf_counter(), time.process_time()
        pdf = render_badges_pdf(badges, layout=layout)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{layout:8s} one PDF of {len(badges)} badges: {took:6.2f} s, "
              f"{len(badges) / took:6.1f} badges/s, {took / len(badges) * 1000:6.1f} ms/badge "
              f"({cpu / len(badges) * 1000:.1f} ms CPU), {len(pdf) / 1024:.0f} KiB")

    singles = make_badges(args.singles, seed=2)
    start, cpu = time.perf_counter(), time.process_time()
    sizes = [len(render_badges_pdf([b])) for b in singles]
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"a6       {len(singles)} single-badge PDFs:  {took:6.2f} s, "
          f"{len(singles) / took:6.1f} badges/s, {took / len(singles) * 1000:6.1f} ms/badge "
          f"({cpu / len(singles) * 1000:.1f} ms CPU), {sum(sizes) / len(sizes) / 1024:.0f} KiB each")


if __name__ == "__main__":
    main()
