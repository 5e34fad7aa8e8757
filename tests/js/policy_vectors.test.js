// The browser scanner's policy, token, sealed-record and offline code against the vectors
// generated from shared/ by tests/support/policy_vectors.py (Python decided each one the
// same way when they were written). Run by tests/shared/test_js_policy.py, or by hand:
//   python -m tests.support.policy_vectors /tmp/v.json && ADMIT_VECTORS=/tmp/v.json node --test tests/js/
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as noble from "../../node_modules/@noble/ed25519/index.js";
import { decideOffline } from "../../server/static/scan/js/offline.js";
import { decide } from "../../server/static/scan/js/policy.js";
import { TokenError, makeVerifier } from "../../server/static/scan/js/token.js";

const path = process.env.ADMIT_VECTORS;
assert.ok(path, "set ADMIT_VECTORS to a file written by tests/support/policy_vectors.py");
const vectors = JSON.parse(readFileSync(path, "utf8"));
const { subtle } = globalThis.crypto;

function jsPolicy(v) {
  const c = v.claims;
  const claims = c.error ? new TokenError(c.error, "vector")
    : { badgeId: c.badge_id, revision: c.revision, zoneSlots: c.zone_slots, validDays: c.valid_days };
  const b = v.badge;
  return decide(
    claims,
    { zoneSlot: v.gate.zone_slot, direction: v.gate.direction, deviceAllowed: v.gate.device_allowed ?? true },
    { allowReentry: v.zone.allow_reentry ?? false, capacity: v.zone.capacity ?? null,
      occupancy: v.zone.occupancy ?? 0 },
    { revoked: b.revoked ?? false, inside: b.inside ?? false, zoneSlots: b.zone_slots ?? null,
      validDays: b.valid_days ?? null },
    v.today);
}

function cacheOf(v) {
  const badges = new Map(v.badges.map((b) => [b.badge_id, b]));
  const inside = new Set(v.presence.map((p) => `${p.badge_id}/${p.zone_slot}/${p.day}`));
  return {
    event: v.keys.length || v.badges.length ? v.event : null,
    keys: v.keys,
    badge: async (id) => badges.get(id) ?? null,
    isInside: async (id, slot, day) => inside.has(`${id}/${slot}/${day}`),
  };
}

async function jsOffline(v, verify) {
  const { verdict } = await decideOffline({
    code: v.code, gate: v.gate, now: new Date(v.now), cache: cacheOf(v), subtle, verify });
  return { verdict: verdict.verdict, reason: verdict.reason, badge_id: verdict.badge_id,
    name: verdict.name, typed: verdict.typed };
}

test("the vectors cover every reason the issue names", () => {
  const reasons = new Set(vectors.map((v) => v.expected.reason));
  for (const r of ["ok", "not_inside", "not_a_badge", "bad_signature", "unknown_key", "revoked",
    "device_not_allowed", "not_valid_today", "wrong_zone", "already_inside", "zone_full"]) {
    assert.ok(reasons.has(r), `no vector for ${r}`);
  }
});

for (const v of vectors.filter((x) => x.kind === "policy")) {
  test(`policy: ${v.name}`, () => {
    assert.deepEqual(jsPolicy(v), v.expected);
  });
}

const engines = {
  webcrypto: () => makeVerifier(subtle, async () => { throw new Error("noble must not load"); }),
  noble: () => makeVerifier(null, async () => noble),
};

for (const [engine, make] of Object.entries(engines)) {
  const verify = make();
  for (const v of vectors.filter((x) => x.kind === "offline")) {
    test(`offline (${engine}): ${v.name}`, async () => {
      assert.deepEqual(await jsOffline(v, verify), v.expected);
    });
  }
  test(`the ${engine} engine was the one used`, () => {
    assert.equal(verify.engine(), engine);
  });
}
