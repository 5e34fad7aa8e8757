// Sync feed format 2 (badges as arrays) unpacks into the records format 1 carried; a
// format 1 page from an older server passes through. Run by tests/shared/test_js_policy.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { unpackPage } from "../../server/static/scan/js/store.js";

const base = { event: { start_date: "2026-02-27" }, keys: [], cursor: "3.9", more: false };

test("format 2 rows become format 1 records", () => {
  const page = unpackPage({
    ...base, format: 2,
    fields: ["badge_id", "revision", "status", "zone_mask", "day_mask", "sealed"],
    badges: [[7, 2, 0, 0b110, 0b101, "c2VhbGVk"], [9, 1, 1, 1, 0b101, null], [11, 3, 2, 0, 0, null]],
  });
  assert.deepEqual(page.badges, [
    { badge_id: 7, revision: 2, revoked: false, zone_slots: [1, 2],
      days: ["2026-02-27", "2026-03-01"], sealed: "c2VhbGVk" },
    { badge_id: 9, revision: 1, revoked: true, zone_slots: [0],
      days: ["2026-02-27", "2026-03-01"], sealed: null },
    { badge_id: 11, revision: 3, revoked: true, zone_slots: [], days: [], sealed: null, erased: true },
  ]);
  assert.equal(page.cursor, "3.9");
});

test("the fields list, not a fixed order, places each item", () => {
  const page = unpackPage({
    ...base, format: 2, fields: ["sealed", "day_mask", "zone_mask", "status", "revision", "badge_id"],
    badges: [[null, 1, 1, 0, 4, 5]],
  });
  assert.deepEqual(page.badges[0], { badge_id: 5, revision: 4, revoked: false, zone_slots: [0],
    days: ["2026-02-27"], sealed: null });
});

test("a format 1 page passes through", () => {
  const old = { ...base, badges: [{ badge_id: 1, revision: 1, revoked: false, zone_slots: [0], days: [], sealed: null }] };
  assert.equal(unpackPage(old), old);
});
