// The offline validator: the browser decides from its cache exactly as the laptop gate's
// scanner_client/verdicts.py OfflineValidator does (same facts, same policy), except for
// what one device cannot know (presence at other gates, zone occupancy); the server flags
// the resulting conflicts when the queued scans arrive.
import { decide, eventDay, REASON_TEXT } from "./policy.js";
import { openRecord } from "./sealed.js";
import { base64ToBytes, parseToken, PY_WHITESPACE, TokenError, verifyToken } from "./token.js";

const ASCII_DIGITS = /^[0-9]+$/;
const TYPED_SHAPE = /^[0-9][0-9 \-]*$/;
export const TYPED_NUMBER_NOTE = "Typed badge number - check photo ID";

function luhnDigit(digits) {
  let total = 0;
  [...digits].reverse().forEach((ch, i) => {
    let value = Number(ch);
    if (i % 2 === 0) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    total += value;
  });
  return (10 - (total % 10)) % 10;
}

export function formatBadgeNumber(badgeId) {
  const body = String(badgeId).padStart(6, "0");
  return `${body}-${luhnDigit(body)}`;
}

/** shared/badge_number.py parse_badge_number: the id, or an Error for a bad number. */
export function parseBadgeNumber(text) {
  const compact = text.split(PY_WHITESPACE).join("").replaceAll("-", "");
  if (compact.length < 7 || compact.length > 16 || !ASCII_DIGITS.test(compact)) {
    return new Error(`not a badge number: ${text.slice(0, 40)}`);
  }
  const body = compact.slice(0, -1);
  if (luhnDigit(body) !== Number(compact.at(-1))) return new Error("check digit does not match");
  return Number(body);
}

/** The badge id of a typed number, an Error if mistyped, or null when not number-shaped. */
export function typedBadgeNumber(code) {
  if (!TYPED_SHAPE.test(code) || [...code].filter((c) => c >= "0" && c <= "9").length < 7) {
    return null;
  }
  return parseBadgeNumber(code);
}

/** The key ring from the cached event and keys, or null before the first sync. */
export function keyring(event, keys) {
  if (!event || !keys || keys.length === 0) return null;
  return { dayZero: event.start_date, keys: new Map(keys.map(([id, b64]) => [id, base64ToBytes(b64)])) };
}

function noKeys(code) {
  try {
    parseToken(code, "2000-01-01");
  } catch (err) {
    return err;
  }
  return new TokenError("unknown_key", "no keys cached yet (never synced)");
}

/**
 * cache: {event, keys: [[keyId, base64]], badge(id) -> record|null (as the sync feed
 * sends it), isInside(badgeId, zoneSlot, day) -> bool}; gate: {zone_slot, direction,
 * allow_reentry}; now: Date. Resolves to the verdict and the presence change to store.
 */
// Only an admit shows who the person is (a deny answers the reason and the badge number),
// as on the laptop gate; staff checking access (revealOnDeny) see the person either way.
export async function decideOffline({ code, gate, now, cache, subtle, verify, revealOnDeny = false }) {
  const today = eventDay(now, cache.event ? cache.event.timezone : "UTC");
  const typed = typedBadgeNumber(code);
  let claims;
  let facts = {};
  let record = null;
  if (typed !== null) {
    ({ claims, facts } = await typedClaims(typed, gate, today, cache));
  } else {
    const ring = keyring(cache.event, cache.keys);
    if (ring === null) {
      claims = noKeys(code); // never synced: no key to check a signature with
    } else {
      try {
        claims = await verifyToken(code, ring, verify);
      } catch (err) {
        if (!(err instanceof TokenError)) throw err;
        claims = err;
      }
    }
    if (!(claims instanceof TokenError)) ({ facts, record } = await codeFacts(claims, gate, today, cache));
  }
  const decision = decide(
    claims, { zoneSlot: gate.zone_slot, direction: gate.direction },
    { allowReentry: gate.allow_reentry }, facts, today);
  const out = { ...decision, mode: "offline", message: REASON_TEXT[decision.reason] ?? "",
    badge_id: null, name: null, organization: null, access_level: null, typed: false };
  let presence = null;
  if (!(claims instanceof TokenError)) {
    out.badge_id = claims.badgeId;
    if (typed === null && record && record.sealed && (revealOnDeny || decision.verdict === "admit")) {
      const fields = await openRecord(subtle, code, record.sealed);
      if (fields) Object.assign(out, { name: fields.name ?? null,
        organization: fields.organization ?? null, access_level: fields.access_level ?? null });
    }
    if (decision.verdict === "admit") {
      presence = { badge_id: claims.badgeId, zone_slot: gate.zone_slot, day: today,
        inside: gate.direction === "in", at: now.toISOString() };
    }
  }
  if (typed !== null) {
    out.typed = true;
    if (typed instanceof Error) out.message = "Badge number mistyped (check digit does not match)";
    else if (decision.verdict === "admit") out.message = TYPED_NUMBER_NOTE;
  }
  return { verdict: out, presence };
}

async function codeFacts(claims, gate, today, cache) {
  const record = await cache.badge(claims.badgeId);
  const inside = await cache.isInside(claims.badgeId, gate.zone_slot, today);
  if (!record || record.revision < claims.revision) {
    return { facts: { inside }, record: null }; // newer than our cache: trust the token
  }
  return {
    facts: { revoked: record.revoked || record.revision !== claims.revision, inside,
      zoneSlots: record.zone_slots, validDays: record.days },
    record,
  };
}

/** A typed number stands for the badge's current revision: claims come from the record. */
async function typedClaims(typed, gate, today, cache) {
  if (typed instanceof Error) return { claims: new TokenError("not_a_badge", typed.message), facts: {} };
  const record = await cache.badge(typed);
  if (!record) {
    return { claims: new TokenError("not_a_badge", `badge number ${typed} is not cached`), facts: {} };
  }
  const claims = { keyId: 0, badgeId: record.badge_id, revision: record.revision,
    validDays: record.days, zoneSlots: record.zone_slots };
  const inside = await cache.isInside(record.badge_id, gate.zone_slot, today);
  return { claims, facts: { revoked: record.revoked, inside } };
}
