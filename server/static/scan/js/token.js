// The badge token, read and verified in the browser exactly as shared/token.py does.
// "ADM1" + base36(payload || ed25519 signature), 118 digits; payload is
// key_id:u8 badge_id:u32 revision:u8 days_mask:u16 zones_mask:u32 (big endian).

export const PREFIX = "ADM1";
const BODY_LEN = 118;
export const TOKEN_LENGTH = PREFIX.length + BODY_LEN;
const PAYLOAD_LEN = 12;
const RAW_LEN = PAYLOAD_LEN + 64;
const MAX_VALUE = 1n << BigInt(8 * RAW_LEN);
const BODY_CHARS = /^[0-9A-Z]+$/;
const MAX_DAYS = 16;
const MAX_ZONE_SLOTS = 32;

/** A code that is no valid badge; `reason` is the policy's reason code. */
export class TokenError extends Error {
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

// Python's str.split() whitespace, not JavaScript's \s (which adds U+FEFF and lacks
// U+001C-U+001F and U+0085): both sides must read the same text as the same code.
export const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Undo what a keyboard wedge does to a code: caps lock, stray whitespace. */
export function normalizeCode(text) {
  return text.split(PY_WHITESPACE).join("").toUpperCase();
}

/** The ISO date `offset` days after `isoDay` (calendar arithmetic in UTC, no clock). */
export function addDays(isoDay, offset) {
  const [y, m, d] = isoDay.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + offset)).toISOString().slice(0, 10);
}

export function slotsOf(mask, width = MAX_ZONE_SLOTS) {
  const slots = [];
  for (let i = 0; i < width; i++) if (Math.floor(mask / 2 ** i) % 2 === 1) slots.push(i);
  return slots;
}

export function daysOf(mask, dayZero) {
  return slotsOf(mask, MAX_DAYS).map((i) => addDays(dayZero, i));
}

function bytesOfBody(body) {
  let value = 0n;
  for (const ch of body) value = value * 36n + BigInt(parseInt(ch, 36));
  if (value >= MAX_VALUE) return null;
  const raw = new Uint8Array(RAW_LEN);
  for (let i = RAW_LEN - 1; i >= 0; i--) {
    raw[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return raw;
}

/** Fields without the signature check: {claims, signed, signature}; TokenError otherwise. */
export function parseToken(text, dayZero) {
  const code = normalizeCode(text);
  if (!code.startsWith(PREFIX) || code.length !== TOKEN_LENGTH) {
    throw new TokenError("not_a_badge", "not an Admit badge");
  }
  const body = code.slice(PREFIX.length);
  if (!BODY_CHARS.test(body)) throw new TokenError("not_a_badge", "not an Admit badge (bad characters)");
  const raw = bytesOfBody(body);
  if (raw === null) throw new TokenError("not_a_badge", "not an Admit badge (out of range)");
  const view = new DataView(raw.buffer);
  const claims = {
    keyId: view.getUint8(0),
    badgeId: view.getUint32(1),
    revision: view.getUint8(5),
    validDays: daysOf(view.getUint16(6), dayZero),
    zoneSlots: slotsOf(view.getUint32(8)),
  };
  const signed = new Uint8Array(4 + PAYLOAD_LEN);
  signed.set(new TextEncoder().encode(PREFIX));
  signed.set(raw.subarray(0, PAYLOAD_LEN), 4);
  return { claims, signed, signature: raw.slice(PAYLOAD_LEN) };
}

export function base64ToBytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * An Ed25519 verify(publicKeyRaw, signature, message) -> Promise<boolean>.
 * WebCrypto where the browser has Ed25519 (Chromium 137+, Firefox 129+, Safari 17+);
 * otherwise the vendored @noble/ed25519 in its RFC 8032 mode (zip215: false), which
 * accepts exactly what OpenSSL does on the server.
 */
export function makeVerifier(subtle, loadNoble) {
  let webcrypto = subtle ? null : false; // unknown until the first key import tells
  const imported = new Map();
  let noble = null;
  async function viaNoble(raw, signature, message) {
    noble ??= await loadNoble();
    try {
      return await noble.verifyAsync(signature, message, raw, { zip215: false });
    } catch {
      return false;
    }
  }
  const verify = async (raw, signature, message) => {
    if (webcrypto !== false && subtle) {
      const cacheKey = Array.from(raw).join(",");
      let key = imported.get(cacheKey);
      if (key === undefined) {
        try {
          key = await subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
          webcrypto = true;
          imported.set(cacheKey, key);
        } catch (err) {
          if (webcrypto === true) return false; // Ed25519 works: this key is malformed
          webcrypto = false;
        }
      }
      if (webcrypto) return subtle.verify({ name: "Ed25519" }, key, signature, message);
    }
    return viaNoble(raw, signature, message);
  };
  verify.engine = () => (webcrypto ? "webcrypto" : webcrypto === false ? "noble" : "unknown");
  return verify;
}

/**
 * Parse and verify against `ring` = {dayZero, keys: Map<keyId, Uint8Array>}; resolves to
 * the claims or throws TokenError (not_a_badge, unknown_key, bad_signature). A retired
 * key is simply absent from the ring, so its badges get unknown_key.
 */
export async function verifyToken(text, ring, verify) {
  const parsed = parseToken(text, ring.dayZero);
  const raw = ring.keys.get(parsed.claims.keyId);
  if (raw === undefined) {
    throw new TokenError("unknown_key", `signed with unknown or retired key ${parsed.claims.keyId}`);
  }
  if (!(await verify(raw, parsed.signature, parsed.signed))) {
    throw new TokenError("bad_signature", "signature does not match");
  }
  return parsed.claims;
}
