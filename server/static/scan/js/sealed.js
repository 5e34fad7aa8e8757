// Personal fields sealed to the badge that carries them (shared/sealed.py): AES-GCM with a
// key derived by HKDF-SHA256 (no salt, info "admit-badge-record-v1") from the normalised
// code; the record is base64(nonce[12] || ciphertext || tag), the info is also the AAD.
import { base64ToBytes, normalizeCode } from "./token.js";

const INFO = new TextEncoder().encode("admit-badge-record-v1");

/** The fields, or null when the record does not open with this code. */
export async function openRecord(subtle, code, sealed) {
  try {
    const raw = base64ToBytes(sealed);
    const material = await subtle.importKey(
      "raw", new TextEncoder().encode(normalizeCode(code)), "HKDF", false, ["deriveKey"]);
    // An absent HKDF salt is HashLen zero bytes (RFC 5869), which HMAC pads the same as
    // an empty one: Python's salt=None and this empty salt give the same key.
    const key = await subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: INFO },
      material, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
    const plain = await subtle.decrypt(
      { name: "AES-GCM", iv: raw.subarray(0, 12), additionalData: INFO }, key, raw.subarray(12));
    const fields = JSON.parse(new TextDecoder().decode(plain));
    return fields !== null && typeof fields === "object" && !Array.isArray(fields) ? fields : null;
  } catch {
    return null; // a forged code that happens to name a real badge id opens nothing
  }
}
