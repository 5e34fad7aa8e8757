"""Attendee search at scale: p50/p95 of the search service on PostgreSQL with 100,000
attendees (trigram index), for the kinds of query staff type.

    python bench/search.py [--attendees 100000] [--rounds 20]

Uses a fresh schema in the test database (``ADMIT_TEST_PG``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.live import LiveServer  # noqa: E402

QUERIES = ["wang xiaoming", "xiaoming", "王 小明", "محمد العتيبي", "petrov", "helene lefevre",
           "siemens", "guest04217", "müller", "zhang min", "o'connor", "ahmed"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "欧阳", "司马"]
GIVEN = ["小明", "伟", "娜", "敏", "洋", "静", "磊", "丽", "晓明", "杰", "芳", "立新", "建国"]
OTHER = ["محمد بن سلمان العتيبي", "عبدالله القحطاني", "Иван Петров", "Екатерина Смирнова",
         "Hélène Lefèvre", "Jürgen Müller", "Michael O'Connor", "Nguyễn Văn An", "Ahmed Hassan",
         "Sarah Williams", "José Martínez", "Ayşe Yılmaz"]
ORGS = ["Siemens AG", "Haier", "BYD Auto", "Rosatom", "Saudi Aramco", "Tsinghua University"]


def _rows(count: int, event_id: int, level_id: int) -> list[tuple[object, ...]]:
    from server.services.people.text import search_text

    rng = random.Random(7)
    rows = []
    for i in range(count):
        name = (rng.choice(SURNAMES) + rng.choice(GIVEN)) if i % 2 else rng.choice(OTHER)
        org = rng.choice(ORGS)
        email = f"guest{i:05d}@bench.example"
        rows.append((event_id, name, search_text(name, org, email), email, org, level_id))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attendees", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    server = LiveServer("postgres", attendees=0)
    try:
        server.cli("init-db")
        server.cli("seed-demo", "--attendees", "0")
        os.environ["DATABASE_URL"] = server.database_url
        os.environ["ADMIT_INSTANCE"] = str(server.instance)
        os.environ.setdefault("SECRET_KEY", "bench")
        from server import create_app
        from server.extensions import db
        from server.services import attendees, setup

        app = create_app()
        with app.app_context():
            event = setup.current_event()
            level = setup.list_levels(event)[0]
            t0 = time.perf_counter()
            rows = _rows(args.attendees, event.id, level.id)
            conn = db.session.connection().connection.driver_connection
            with conn.cursor() as cur, cur.copy(
                "COPY attendees (event_id, name, search_text, email, organization, access_level_id,"
                " external_id, country, language, created_at, updated_at, mail_state, mail_attempts)"
                " FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, None, "", "en", "now", "now", "pending", 0))
            db.session.commit()
            # As after any bulk load: move the index's pending entries into the index.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(db.text("VACUUM ANALYZE attendees"))
            print(f"attendees: {args.attendees} loaded in {time.perf_counter() - t0:.1f} s")
            timings: dict[str, list[float]] = {q: [] for q in QUERIES}
            for _ in range(args.rounds):
                for q in QUERIES:
                    t = time.perf_counter()
                    found, total = attendees.search(event, q, limit=50)
                    timings[q].append((time.perf_counter() - t) * 1000)
                    db.session.rollback()
            every = sorted(ms for values in timings.values() for ms in values)
            for q, values in timings.items():
                print(f"  {q!r:28} p50 {statistics.median(values):6.1f} ms")
            p95 = every[int(len(every) * 0.95) - 1]
            print(f"search over {len(every)} queries: p50 {statistics.median(every):.1f} ms, "
                  f"p95 {p95:.1f} ms (PostgreSQL, trigram index)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
