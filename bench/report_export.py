"""Export throughput and memory for 500,000 scan rows, and the post-event report's render
time for 100,000 attendees and 1,000,000 scans, on PostgreSQL.

    python bench/report_export.py [--attendees 100000] [--scans 1000000] [--export-rows 500000]

Data goes in with COPY (a demo event from seed-demo, then bulk attendees and scans:
visits of an entry and an exit through one zone's gates, 8:00-19:00 event time over the
event's days, 5% denies, 10% offline). Exports stream over real HTTP from the production
server command; memory is the serving worker's peak RSS (VmHWM) against its RSS before.
Target (issue 11): the report in under 30 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.live import LiveServer  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"
DENY_REASONS = ["revoked", "wrong_zone", "not_valid_today", "already_inside", "not_a_badge"]
COUNTRIES = ["CN"] * 8 + ["DE", "FR", "US", "SA", "AE", "RU", "BR", "JP", "KR", "IN"]


def _setup(conn: psycopg.Connection, schema: str) -> tuple[int, dt.date, int, list[int], dict[int, list[tuple[int, str]]]]:
    conn.execute(f'SET search_path TO "{schema}"')
    event_id, start, days = conn.execute(
        "SELECT id, start_date, end_date - start_date + 1 FROM events ORDER BY id LIMIT 1").fetchone()
    levels = [r[0] for r in conn.execute("SELECT id FROM access_levels WHERE event_id=%s", (event_id,))]
    gates: dict[int, list[tuple[int, str]]] = {}
    for gate_id, zone_id, direction in conn.execute(
            "SELECT id, zone_id, direction FROM gates WHERE event_id=%s", (event_id,)):
        gates.setdefault(zone_id, []).append((gate_id, direction))
    gates = {z: g for z, g in gates.items() if {d for _, d in g} == {"in", "out"}}
    return event_id, start, days, levels, gates


def load_attendees(conn: psycopg.Connection, event_id: int, levels: list[int], count: int) -> list[int]:
    now = dt.datetime.now(dt.UTC)
    with conn.cursor().copy(
            "COPY attendees (event_id, name, search_text, email, organization, country, language,"
            " access_level_id, created_at, updated_at, mail_state, mail_attempts) FROM STDIN") as copy:
        for i in range(count):
            name = f"Bench Person {i}"
            copy.write_row((event_id, name, name.lower(), f"bench{i}@example.org", "Bench Org",
                            random.choice(COUNTRIES), "en", random.choice(levels), now, now,
                            "pending", 0))
    return [r[0] for r in conn.execute(
        "SELECT id FROM attendees WHERE event_id=%s AND email LIKE 'bench%%'", (event_id,))]


def load_scans(conn: psycopg.Connection, event_id: int, start: dt.date, days: int,
               gates: dict[int, list[tuple[int, str]]], people: list[int], count: int) -> None:
    tz = ZoneInfo(conn.execute("SELECT timezone FROM events WHERE id=%s", (event_id,)).fetchone()[0])
    zones = list(gates)
    came = people[: int(len(people) * 0.85)]  # 15% never show up
    written = 0
    with conn.cursor().copy(
            "COPY scans (scan_id, event_id, gate_id, zone_id, direction, code, attendee_id,"
            " verdict, reason, server_reason, mode, scanned_at, received_at, conflict)"
            " FROM STDIN") as copy:
        while written < count:
            person = random.choice(came)
            zone = random.choice(zones)
            entry = random.choice([g for g, d in gates[zone] if d == "in"])
            exit_ = random.choice([g for g, d in gates[zone] if d == "out"])
            day = start + dt.timedelta(days=random.randrange(days))
            at = dt.datetime.combine(day, dt.time(8), tz) + dt.timedelta(seconds=random.randrange(9 * 3600))
            mode = "offline" if random.random() < 0.1 else "online"
            if random.random() < 0.05:
                reason = random.choice(DENY_REASONS)
                copy.write_row((str(uuid.uuid4()), event_id, entry, zone, "in", "X", person, "deny",
                                reason, reason, mode, at, at, None))
                written += 1
                continue
            conflict = "double_admit" if mode == "offline" and random.random() < 0.02 else None
            copy.write_row((str(uuid.uuid4()), event_id, entry, zone, "in", "X", person, "admit",
                            "ok", "ok", mode, at, at, conflict))
            out = at + dt.timedelta(minutes=random.expovariate(1 / 90))
            copy.write_row((str(uuid.uuid4()), event_id, exit_, zone, "out", "X", person, "admit",
                            "ok", "ok", mode, out, out, None))
            written += 2
    conn.execute("ANALYZE")


def worker_memory(master_pid: int) -> dict[int, tuple[int, int]]:
    """pid -> (VmRSS kB, VmHWM kB) of the server's workers."""
    out: dict[int, tuple[int, int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            out[int(fields["Pid"])] = (int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0]))
    return out


def bench_export(server: LiveServer, fmt: str, rows: int) -> None:
    assert server._proc is not None
    before = worker_memory(server._proc.pid)
    t0 = time.perf_counter()
    size = lines = 0
    with server.session("admin").get(f"{server.url}/api/v1/exports/scans.{fmt}", stream=True,
                                      timeout=1800) as resp:
        resp.raise_for_status()
        first = None
        for chunk in resp.iter_content(256 * 1024):
            first = first or time.perf_counter() - t0
            size += len(chunk)
            lines += chunk.count(b"\n")
    took = time.perf_counter() - t0
    after = worker_memory(server._proc.pid)
    growth = max(after[p][1] - before.get(p, after[p])[0] for p in after)
    peak = max(v[1] for v in after.values())
    print(f"export scans.{fmt}: {rows:,} rows, {size / 1e6:.1f} MB in {took:.1f} s "
          f"({rows / took:,.0f} rows/s), first byte after {first:.2f} s; "
          f"worker peak RSS {peak / 1024:.0f} MB (+{growth / 1024:.0f} MB over its RSS before)")


def bench_report(server: LiveServer) -> None:
    from server import create_app
    from server.services.data.reports.data import collect
    from server.services.data.reports.render import render_html
    from server.services.event import setup

    app = create_app({"SQLALCHEMY_DATABASE_URI": server.database_url, "INSTANCE_PATH": str(server.instance)})
    with app.app_context():
        event = setup.current_event()
        t0 = time.perf_counter()
        data = collect(event)
        t1 = time.perf_counter()
        html = render_html(event, "en", data)
        t2 = time.perf_counter()
        from weasyprint import HTML

        pdf = HTML(string=html).write_pdf()
        t3 = time.perf_counter()
    print(f"report in process: figures {t1 - t0:.1f} s, charts+HTML {t2 - t1:.1f} s, "
          f"PDF {t3 - t2:.1f} s ({len(pdf or b'') / 1e3:.0f} kB)")
    t0 = time.perf_counter()
    resp = server.session("admin").get(f"{server.url}/api/v1/reports/event.pdf", timeout=120)
    status = resp.status_code
    while status == 202:
        time.sleep(0.5)
        resp = server.session("admin").get(server.url + resp.json()["poll"], timeout=60)
        status = resp.status_code
    print(f"report over HTTP (job on the queue seam): {time.perf_counter() - t0:.1f} s, "
          f"status {status}, {len(resp.content) / 1e3:.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attendees", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=1_000_000)
    parser.add_argument("--export-rows", type=int, default=500_000)
    args = parser.parse_args()
    random.seed(11)
    server = LiveServer("postgres", attendees=20, workers=2,
                        env={"ADMIT_WORKER_INTERVAL_S": "0"}).start()
    try:
        assert server._schema is not None
        with psycopg.connect(PG, autocommit=True) as conn:
            event_id, start, days, levels, gates = _setup(conn, server._schema)
            t0 = time.perf_counter()
            people = load_attendees(conn, event_id, levels, args.attendees)
            load_scans(conn, event_id, start, days, gates, people, args.export_rows)
            print(f"loaded {len(people):,} attendees + {args.export_rows:,} scans by COPY "
                  f"in {time.perf_counter() - t0:.1f} s")
        bench_export(server, "csv", args.export_rows)
        bench_export(server, "xlsx", args.export_rows)
        with psycopg.connect(PG, autocommit=True) as conn:
            _setup(conn, server._schema)
            load_scans(conn, event_id, start, days, gates, people, args.scans - args.export_rows)
            total = conn.execute("SELECT count(*) FROM scans").fetchone()[0]
            print(f"now {total:,} scans")
        bench_report(server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
