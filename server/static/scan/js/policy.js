// The one access decision, line for line as shared/policy.py: the precedence of reasons
// is the order of the checks. tests/js/policy_vectors.test.js holds both to the same
// vectors, generated from shared/ (tests/support/policy_vectors.py).

export const REASON_TEXT = {
  ok: "Welcome",
  not_inside: "Exit recorded (no entry on record)",
  not_a_badge: "Not one of our badges",
  bad_signature: "Forged or damaged badge",
  unknown_key: "Badge signed with an unknown or retired key",
  revoked: "Badge revoked (lost or replaced)",
  device_not_allowed: "This device may not scan at this gate",
  not_valid_today: "Badge not valid today",
  wrong_zone: "No access to this area",
  already_inside: "Already inside (badge used for entry)",
  zone_full: "Area full",
  forced: "Admitted by supervisor override",
  annulled: "Admit annulled by the gate",
};

const deny = (reason) => ({ verdict: "deny", reason });

/**
 * claims: {zoneSlots: number[], validDays: string[]} or a TokenError ({reason});
 * gate: {zoneSlot, direction: "in"|"out", deviceAllowed = true};
 * zone: {allowReentry = false, capacity = null, occupancy = 0};
 * badge: {revoked = false, inside = false, zoneSlots = null, validDays = null}
 *   (non-null overrides the token's claims where the deciding side knows fresher truth);
 * today: the event's calendar day, "YYYY-MM-DD".
 */
export function decide(claims, gate, zone, badge, today) {
  if (claims.reason !== undefined) return deny(claims.reason);
  if (gate.direction === "out") {
    // An exit always lets the person out: holding someone inside helps no one.
    return { verdict: "admit", reason: badge.inside ? "ok" : "not_inside" };
  }
  if (badge.revoked) return deny("revoked");
  if (gate.deviceAllowed === false) return deny("device_not_allowed");
  const days = badge.validDays ?? claims.validDays;
  if (!days.includes(today)) return deny("not_valid_today");
  const zones = badge.zoneSlots ?? claims.zoneSlots;
  if (!zones.includes(gate.zoneSlot)) return deny("wrong_zone");
  if (badge.inside && !zone.allowReentry) return deny("already_inside");
  const capacity = zone.capacity ?? null;
  if (capacity !== null && !badge.inside && (zone.occupancy ?? 0) >= capacity) return deny("zone_full");
  return { verdict: "admit", reason: "ok" };
}

/** The event's calendar day ("YYYY-MM-DD") for an instant, in the event's time zone. */
export function eventDay(moment, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(moment);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}
