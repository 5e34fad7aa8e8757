"""Test vectors that hold the browser scanner's JavaScript policy to the Python one.

Two kinds, each with the verdict and reason written by hand here and checked against
Python when the vectors are made (``build`` refuses to write a vector Python disagrees
with):

- ``policy``: facts given directly to ``shared.policy.decide`` (zone capacity, device
  permission, precedence when several reasons apply);
- ``offline``: a code signed with a fixed test key, the cache a gate holds after a sync
  (keys, badge records with sealed names, presence) and a clock, decided end to end by the
  laptop gate's ``OfflineValidator`` (signature, retired key, revocation, days in the
  event's time zone, zones, anti-passback, exits, typed badge numbers, sealed names).

``python -m tests.support.policy_vectors OUT.json`` writes them; tests/js/ reads them.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scanner_client.outcomes import PresenceChange
from scanner_client.store import GateStore
from scanner_client.verdicts import GateSetup, OfflineValidator
from shared import (
    BadgeClaims,
    BadgeFacts,
    BadSignature,
    Direction,
    GateFacts,
    NotABadge,
    SigningKey,
    UnknownKey,
    ZoneFacts,
    decide,
    encode_token,
    format_badge_number,
    seal_record,
)
from shared.sync_schemas import BadgeRecord

DAY0 = dt.date(2026, 5, 12)
DAYS = [DAY0 + dt.timedelta(days=i) for i in range(4)]
TZ = "Asia/Shanghai"
KEY = SigningKey(1, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
RETIRED = SigningKey(2, Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64))))
HALL, VIP, PRESS = 0, 1, 2
NAMES = {101: "李明", 102: "ليلى الهاشمي", 103: "Ana García", 104: "Jean Dupont", 105: "Ola Nordmann"}


def _code(badge_id: int, revision: int = 1, zones: frozenset[int] = frozenset({HALL, VIP}),
          days: list[dt.date] = DAYS, key: SigningKey = KEY) -> str:
    return encode_token(BadgeClaims(key.key_id, badge_id, revision, frozenset(days), zones), key, DAY0)


def _record(badge_id: int, revision: int = 1, revoked: bool = False,
            zones: tuple[int, ...] = (HALL, VIP), days: list[dt.date] = DAYS,
            sealed_with: str | None = None) -> dict[str, Any]:
    code = sealed_with if sealed_with is not None else _code(badge_id, revision)
    fields = {"name": NAMES.get(badge_id, "X"), "organization": "Vector Org", "access_level": "VIP Guest"}
    return {"badge_id": badge_id, "number": format_badge_number(badge_id), "revision": revision,
            "revoked": revoked, "zone_slots": list(zones), "days": [d.isoformat() for d in days],
            "sealed": seal_record(code, fields)}


def _at(day: dt.date, hhmm: str, offset: str = "+08:00") -> str:
    return f"{day.isoformat()}T{hhmm}:00{offset}"


def _forged() -> str:
    """A real token with one signature digit changed (still base-36, still in range)."""
    code = _code(101)
    last = code[-1]
    return code[:-1] + ("1" if last != "1" else "2")


def _tampered() -> str:
    """Badge 101's signature over a payload that claims badge 999 instead."""
    from shared.token import parse_token

    sig = parse_token(_code(101), DAY0).signature
    payload = parse_token(_code(999), DAY0).signed[4:]
    value = int.from_bytes(payload + sig, "big")
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for _ in range(118):
        value, d = divmod(value, 36)
        out.append(digits[d])
    return "ADM1" + "".join(reversed(out))


def offline_cases() -> list[dict[str, Any]]:
    """(name, code, gate, now, cache changes, expected) in the order a reader checks them."""
    hall_in = {"zone_slot": HALL, "direction": "in", "allow_reentry": False}
    hall_out = {**hall_in, "direction": "out"}
    press_in = {**hall_in, "zone_slot": PRESS}
    lounge_reentry = {"zone_slot": VIP, "direction": "in", "allow_reentry": True}
    base = [_record(101), _record(102), _record(103, revoked=True), _record(104, revision=2),
            _record(105, days=DAYS[1:2])]
    d0 = DAYS[0]
    inside_101 = [{"badge_id": 101, "zone_slot": HALL, "day": d0.isoformat()}]
    inside_101_vip = [{"badge_id": 101, "zone_slot": VIP, "day": d0.isoformat()}]
    yesterday = [{"badge_id": 101, "zone_slot": HALL, "day": (d0 - dt.timedelta(days=1)).isoformat()}]
    return [
        _case("valid", _code(101), hall_in, _at(d0, "10:00"), base, [], "admit", "ok", 101, NAMES[101]),
        _case("valid, Arabic name", _code(102), hall_in, _at(d0, "10:00"), base, [], "admit", "ok", 102, NAMES[102]),
        _case("valid, typed by a wedge with caps lock and spaces", " " + _code(101).lower()[:60] + "\t" + _code(101).lower()[60:] + "\n",
              hall_in, _at(d0, "10:00"), base, [], "admit", "ok", 101, NAMES[101]),
        _case("valid, day boundary in the event's time zone", _code(101), hall_in, "2026-05-11T23:30:00+00:00",
              base, [], "admit", "ok", 101, NAMES[101]),
        _case("forged signature", _forged(), hall_in, _at(d0, "10:00"), base, [], "deny", "bad_signature", None, None),
        _case("payload changed under a real signature", _tampered(), hall_in, _at(d0, "10:00"), base, [], "deny",
              "bad_signature", None, None),
        _case("retired key", _code(101, key=RETIRED), hall_in, _at(d0, "10:00"), base, [], "deny", "unknown_key", None, None),
        _case("never synced (no keys)", _code(101), hall_in, _at(d0, "10:00"), [], [], "deny", "unknown_key", None, None,
              keys=False),
        _case("revoked", _code(103), hall_in, _at(d0, "10:00"), base, [], "deny", "revoked", 103, NAMES[103]),
        _case("older revision (reissued)", _code(104, revision=1), hall_in, _at(d0, "10:00"), base, [], "deny",
              "revoked", 104, None),
        _case("newer than the cache: trust the token", _code(101, revision=2), hall_in, _at(d0, "10:00"), base, [],
              "admit", "ok", 101, None),
        _case("not in the cache: trust the token", _code(150), hall_in, _at(d0, "10:00"), base, [], "admit", "ok",
              150, None),
        _case("sealed record that does not open", _code(101), hall_in, _at(d0, "10:00"),
              [_record(101, sealed_with=_code(102))], [], "admit", "ok", 101, None),
        _case("wrong zone", _code(101), press_in, _at(d0, "10:00"), base, [], "deny", "wrong_zone", 101, NAMES[101]),
        _case("last day, a minute before midnight", _code(101), hall_in, _at(DAYS[3], "23:59"), base, [], "admit", "ok", 101,
              NAMES[101]),
        _case("wrong day (past midnight in the event's zone)", _code(101), hall_in, "2026-05-15T16:30:00+00:00", base,
              [], "deny", "not_valid_today", 101, NAMES[101]),
        _case("wrong day (record narrower than the token)", _code(105), hall_in, _at(d0, "10:00"), base, [], "deny",
              "not_valid_today", 105, NAMES[105]),
        _case("already inside", _code(101), hall_in, _at(d0, "12:00"), base, inside_101, "deny", "already_inside", 101,
              NAMES[101]),
        _case("inside yesterday only", _code(101), hall_in, _at(d0, "12:00"), base, yesterday, "admit", "ok", 101,
              NAMES[101]),
        _case("re-entry allowed", _code(101), lounge_reentry, _at(d0, "12:00"), base, inside_101_vip, "admit", "ok",
              101, NAMES[101]),
        _case("exit of someone inside", _code(101), hall_out, _at(d0, "12:00"), base, inside_101, "admit", "ok", 101,
              NAMES[101]),
        _case("exit of someone not inside", _code(101), hall_out, _at(d0, "12:00"), base, [], "admit", "not_inside",
              101, NAMES[101]),
        _case("exit with a revoked badge", _code(103), hall_out, _at(d0, "12:00"), base, [], "admit", "not_inside", 103,
              NAMES[103]),
        _case("not a badge (a URL)", "https://example.com/ticket/1", hall_in, _at(d0, "10:00"), base, [], "deny",
              "not_a_badge", None, None),
        _case("not a badge (too short)", "ADM1" + "0" * 50, hall_in, _at(d0, "10:00"), base, [], "deny", "not_a_badge",
              None, None),
        _case("not a badge (out of range)", "ADM1" + "Z" * 118, hall_in, _at(d0, "10:00"), base, [], "deny",
              "not_a_badge", None, None),
        _case("not a badge (byte order mark is not whitespace)", "\ufeff" + _code(101), hall_in, _at(d0, "10:00"),
              base, [], "deny", "not_a_badge", None, None),
        _case("record separator is whitespace", "\x1e" + _code(101), hall_in, _at(d0, "10:00"), base, [], "admit",
              "ok", 101, NAMES[101]),
        _case("typed badge number", format_badge_number(101), hall_in, _at(d0, "10:00"), base, [], "admit", "ok", 101,
              None, typed=True),
        _case("typed badge number without hyphen", format_badge_number(102).replace("-", " "), hall_in,
              _at(d0, "10:00"), base, [], "admit", "ok", 102, None, typed=True),
        _case("typed badge number, wrong check digit", format_badge_number(101)[:-1] + "0"
              if not format_badge_number(101).endswith("0") else format_badge_number(101)[:-1] + "1",
              hall_in, _at(d0, "10:00"), base, [], "deny", "not_a_badge", None, None, typed=True),
        _case("typed badge number not in the cache", format_badge_number(777), hall_in, _at(d0, "10:00"), base, [],
              "deny", "not_a_badge", None, None, typed=True),
        _case("typed badge number, revoked", format_badge_number(103), hall_in, _at(d0, "10:00"), base, [], "deny",
              "revoked", 103, None, typed=True),
        _case("typed badge number, already inside", format_badge_number(101), hall_in, _at(d0, "12:00"), base,
              inside_101, "deny", "already_inside", 101, None, typed=True),
    ]


def _case(name: str, code: str, gate: dict[str, Any], now: str, badges: list[dict[str, Any]],
          presence: list[dict[str, Any]], verdict: str, reason: str, badge_id: int | None,
          person: str | None, *, keys: bool = True, typed: bool = False) -> dict[str, Any]:
    return {
        "kind": "offline", "name": name, "code": code, "gate": gate, "now": now,
        "event": {"timezone": TZ, "start_date": DAY0.isoformat()},
        "keys": [[KEY.key_id, _b64(KEY.public().raw)]] if keys else [],
        "badges": badges, "presence": presence,
        # only an admit shows who the person is, on both clients
        "expected": {"verdict": verdict, "reason": reason, "badge_id": badge_id,
                     "name": person if verdict == "admit" else None,
                     "typed": typed},
    }


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()


def policy_cases() -> list[dict[str, Any]]:
    today = DAYS[1].isoformat()
    claims = {"badge_id": 10, "revision": 1, "zone_slots": [2], "valid_days": [today]}
    cases: list[tuple[str, Any, dict[str, Any], dict[str, Any], dict[str, Any], str, str]] = [
        ("admit", claims, {"zone_slot": 2, "direction": "in"}, {}, {}, "admit", "ok"),
        ("token error passes through", {"error": "bad_signature"}, {"zone_slot": 2, "direction": "in"}, {}, {},
         "deny", "bad_signature"),
        ("device not allowed", claims, {"zone_slot": 2, "direction": "in", "device_allowed": False}, {}, {},
         "deny", "device_not_allowed"),
        ("zone full", claims, {"zone_slot": 2, "direction": "in"}, {"capacity": 5, "occupancy": 5}, {},
         "deny", "zone_full"),
        ("zone one short of full", claims, {"zone_slot": 2, "direction": "in"}, {"capacity": 5, "occupancy": 4},
         {}, "admit", "ok"),
        ("zone full, re-entry of someone inside", claims, {"zone_slot": 2, "direction": "in"},
         {"capacity": 5, "occupancy": 5, "allow_reentry": True}, {"inside": True}, "admit", "ok"),
        ("zero capacity", claims, {"zone_slot": 2, "direction": "in"}, {"capacity": 0}, {}, "deny", "zone_full"),
        ("revoked beats all later reasons", claims, {"zone_slot": 3, "direction": "in", "device_allowed": False},
         {"capacity": 0}, {"revoked": True, "inside": True, "valid_days": []}, "deny", "revoked"),
        ("device beats day", claims, {"zone_slot": 3, "direction": "in", "device_allowed": False}, {},
         {"valid_days": []}, "deny", "device_not_allowed"),
        ("day beats zone", claims, {"zone_slot": 3, "direction": "in"}, {"capacity": 0}, {"inside": True,
         "valid_days": []}, "deny", "not_valid_today"),
        ("zone beats presence", claims, {"zone_slot": 3, "direction": "in"}, {"capacity": 0}, {"inside": True},
         "deny", "wrong_zone"),
        ("presence beats capacity", claims, {"zone_slot": 2, "direction": "in"}, {"capacity": 0}, {"inside": True},
         "deny", "already_inside"),
        ("database zones override the token", claims, {"zone_slot": 2, "direction": "in"}, {}, {"zone_slots": [1]},
         "deny", "wrong_zone"),
        ("database days override the token", claims, {"zone_slot": 2, "direction": "in"}, {},
         {"valid_days": [DAYS[0].isoformat()]}, "deny", "not_valid_today"),
        ("exit lets a revoked badge out", claims, {"zone_slot": 2, "direction": "out"}, {},
         {"revoked": True, "inside": True}, "admit", "ok"),
        ("exit of someone not inside", claims, {"zone_slot": 9, "direction": "out"}, {"capacity": 0}, {},
         "admit", "not_inside"),
    ]
    return [{"kind": "policy", "name": n, "claims": c, "gate": g, "zone": z, "badge": b, "today": today,
             "expected": {"verdict": v, "reason": r}} for n, c, g, z, b, v, r in cases]


# --- Python side ------------------------------------------------------------------------


def python_policy(case: dict[str, Any]) -> dict[str, Any]:
    c = case["claims"]
    errors = {"not_a_badge": NotABadge, "bad_signature": BadSignature, "unknown_key": UnknownKey}
    claims = errors[c["error"]]("vector") if "error" in c else BadgeClaims(
        1, c["badge_id"], c["revision"], frozenset(map(dt.date.fromisoformat, c["valid_days"])),
        frozenset(c["zone_slots"]))
    g, z, b = case["gate"], case["zone"], case["badge"]
    decision = decide(
        claims,
        GateFacts(g["zone_slot"], Direction(g["direction"]), g.get("device_allowed", True)),
        ZoneFacts(z.get("allow_reentry", False), z.get("capacity"), z.get("occupancy", 0)),
        BadgeFacts(revoked=b.get("revoked", False), inside=b.get("inside", False),
                   zone_slots=frozenset(b["zone_slots"]) if "zone_slots" in b else None,
                   valid_days=frozenset(map(dt.date.fromisoformat, b["valid_days"]))
                   if "valid_days" in b else None),
        dt.date.fromisoformat(case["today"]),
    )
    return {"verdict": decision.verdict.value, "reason": decision.reason.value}


def python_offline(case: dict[str, Any]) -> dict[str, Any]:
    """The laptop gate's own validator over a real GateStore holding the case's cache."""
    with tempfile.TemporaryDirectory() as tmp:
        store = GateStore(Path(tmp) / "gate.db", durable=False)
        try:
            if case["keys"] or case["badges"]:
                store.apply_sync_page(
                    [(k, p) for k, p in case["keys"]],
                    [BadgeRecord.model_validate(b) for b in case["badges"]], "1.0", case["event"])
            for p in case["presence"]:
                day = dt.date.fromisoformat(p["day"])
                at = dt.datetime.combine(day, dt.time(9), dt.UTC)
                store.record_verdict(None, PresenceChange(p["badge_id"], p["zone_slot"], day, True, at))
            g = case["gate"]
            gate = GateSetup("vector gate", "zone", g["zone_slot"], Direction(g["direction"]), g["allow_reentry"])
            verdict, _ = OfflineValidator(store).decide(
                "00000000-0000-0000-0000-000000000000", case["code"], gate,
                dt.datetime.fromisoformat(case["now"]))
        finally:
            store.close()
    return {"verdict": verdict.verdict.value, "reason": verdict.reason.value, "badge_id": verdict.badge_id,
            "name": verdict.name, "typed": verdict.typed_number}


def build() -> list[dict[str, Any]]:
    vectors = policy_cases() + offline_cases()
    for case in vectors:
        got = python_policy(case) if case["kind"] == "policy" else python_offline(case)
        if got != case["expected"]:
            raise AssertionError(f"Python disagrees with vector {case['name']!r}: {got} != {case['expected']}")
    return vectors


def write(path: Path) -> list[dict[str, Any]]:
    vectors = build()
    path.write_text(json.dumps(vectors, ensure_ascii=False, indent=1), encoding="utf-8")
    return vectors


if __name__ == "__main__":
    write(Path(sys.argv[1]))
