// Personal fields sealed to the badge that carries them (shared/sealed.py): AES-GCM with a
// key derived by HKDF-SHA256 (no salt) from the normalised code; the info is also the AAD.
// Format 2: "2:" + base64(nonce[12] || ciphertext || tag) of the values as a JSON array in
// RECORD_FIELDS order (null where absent), info "admit-badge-record-v2". Format 1 (records
// sealed before it): base64 of the same, sealing a JSON object, info "admit-badge-record-v1".
import { base64ToBytes, normalizeCode } from "./token.js";

const INFO_V1 = new TextEncoder().encode("admit-badge-record-v1");
const INFO_V2 = new TextEncoder().encode("admit-badge-record-v2");
export const RECORD_FIELDS = ["name", "organization", "country", "access_level", "colour", "attendee_id"];

function fieldsOf(parsed, v2) {
  if (!v2) return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : null;
  if (!Array.isArray(parsed) || parsed.length !== RECORD_FIELDS.length) return null;
  const fields = {};
  RECORD_FIELDS.forEach((name, i) => { if (parsed[i] !== null) fields[name] = parsed[i]; });
  return fields;
}

/** The fields, or null when the record does not open with this code. */
export async function openRecord(subtle, code, sealed) {
  try {
    const v2 = sealed.startsWith("2:");
    const info = v2 ? INFO_V2 : INFO_V1;
    const raw = base64ToBytes(v2 ? sealed.slice(2) : sealed);
    const material = await subtle.importKey(
      "raw", new TextEncoder().encode(normalizeCode(code)), "HKDF", false, ["deriveKey"]);
    // An absent HKDF salt is HashLen zero bytes (RFC 5869), which HMAC pads the same as
    // an empty one: Python's salt=None and this empty salt give the same key.
    const key = await subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
      material, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
    const plain = await subtle.decrypt(
      { name: "AES-GCM", iv: raw.subarray(0, 12), additionalData: info }, key, raw.subarray(12));
    return fieldsOf(JSON.parse(new TextDecoder().decode(plain)), v2);
  } catch {
    return null; // a forged code that happens to name a real badge id opens nothing
  }
}
