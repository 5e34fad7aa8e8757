// The scanner's facade: the screen hands it codes and gets verdicts. Online, the server
// decides within a 300 ms wall-clock budget; past it, or after a failure, this device
// decides offline from its cache and stays offline (a background probe brings it back),
// so later scans do not each wait out a dead link. Offline scans are queued in IndexedDB
// before their verdict shows and uploaded, idempotent by scan_id, when the link is back.
import { ApiError, localIso, request } from "./api.js";
import { decideOffline } from "./offline.js";
import { unpackPage } from "./store.js";
import { eventDay, REASON_TEXT } from "./policy.js";

export const BUDGET_MS = 300;
const SYNC_EVERY_MS = 30_000;
const PROBE_EVERY_MS = 1_000;
const HEARTBEAT_EVERY_MS = 60_000;
const BATCH = 200;

export class EnrolmentError extends Error {
  constructor(key, values = {}) {
    super(key);
    this.key = key;
    this.values = values;
  }
}

/** The enrolment JSON from a link's fragment (base64url) or a scanned QR code's text. */
export function parseEnrolment(text, origin) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    try {
      const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
      const bytes = Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
      data = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new EnrolmentError("enrol_bad");
    }
  }
  if (!data || typeof data.server !== "string" || typeof data.token !== "string") throw new EnrolmentError("enrol_bad");
  // The page talks only to its own origin: a token for another server is refused, not
  // sent anywhere (a planted link must not make this device report to someone else).
  if (data.server.replace(/\/+$/, "") !== origin) {
    throw new EnrolmentError("enrol_other_server", { s: data.server, o: origin });
  }
  return { server: origin, token: data.token, gate: typeof data.gate === "string" ? data.gate : null };
}

export class ScanEngine {
  constructor({ store, subtle, verify, onChange }) {
    this.store = store;
    this.subtle = subtle;
    this.verify = verify;
    this.onChange = onChange ?? (() => {});
    this.enrolment = null; // {token, gate: {name, zone, zone_slot, direction, allow_reentry}}
    this.staff = null; // {email, role, csrf} when signed in to check access
    this.online = true;
    this.queued = 0;
    this.revoked = false;
    this._probe = null;
    this._busy = false;
  }

  async load() {
    this.enrolment = (await this.store.getMeta("enrolment")) ?? null;
    this.queued = await this.store.queuedCount();
  }

  get token() {
    return this.enrolment ? this.enrolment.token : null;
  }

  async enrol(enrolment, chosenGate = null) {
    const opts = { token: enrolment.token, timeoutMs: 5000 };
    const [{ gates }, { zones }] = await Promise.all([
      request("/api/v1/gates", opts), request("/api/v1/zones", opts)]);
    const name = enrolment.gate ?? chosenGate;
    const gate = gates.find((g) => g.name === name || String(g.id) === name);
    if (!gate) return { gates }; // the token names no gate: the person picks one
    const zone = zones.find((z) => z.id === gate.zone_id);
    const setup = { name: gate.name, zone: gate.zone, zone_slot: gate.zone_slot, direction: gate.direction,
      allow_reentry: Boolean(zone && zone.allow_reentry) };
    const previous = await this.store.getMeta("enrolment");
    if (previous && previous.token !== enrolment.token) await this.store.reset();
    this.enrolment = { token: enrolment.token, gate: setup, enrolled_at: new Date().toISOString() };
    await this.store.setMeta("enrolment", this.enrolment);
    this.revoked = false;
    await this.sync();
    this.onChange();
    return { gate: setup };
  }

  // --- scanning -----------------------------------------------------------------------

  /** Decide one scan; resolves after the scan is durably recorded, before it shows. */
  async scan(code) {
    if (!this.enrolment) throw new Error("not enrolled");
    const started = performance.now();
    const now = new Date();
    const gate = this.enrolment.gate;
    const scan = { scan_id: crypto.randomUUID(), code, gate: gate.name, direction: gate.direction,
      scanned_at: localIso(now) };
    // The offline answer is worked out while the server is asked (it only reads), so a
    // dead link costs the budget and nothing more.
    const offline = this._cache().then((cache) => decideOffline({
      code, gate, now, subtle: this.subtle, verify: this.verify, cache }));
    offline.catch(() => {});
    if (this.online && !this.revoked) {
      const left = BUDGET_MS - (performance.now() - started);
      try {
        const answer = await request("/api/v1/scans", { method: "POST", token: this.token,
          body: scan, timeoutMs: Math.max(1, left) });
        const verdict = onlineVerdict(answer);
        const presence = verdict.verdict === "admit" && verdict.badge_id !== null ? {
          badge_id: verdict.badge_id, zone_slot: gate.zone_slot,
          day: eventDay(now, (await this.store.getMeta("event"))?.timezone ?? "UTC"),
          inside: gate.direction === "in", at: now.toISOString() } : null;
        await this.store.recordVerdict(null, presence); // this device's presence follows
        return { ...verdict, scan_id: scan.scan_id, latency_ms: performance.now() - started };
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 401) this._revoked();
        else if (err.status === 0 || err.status >= 500) this._goOffline();
        // A 4xx other than 401 is the server refusing this scan's shape: decide offline,
        // the batch upload will record it (or say why not).
      }
    }
    const { verdict, presence } = await offline;
    await this.store.recordVerdict(
      { ...scan, offline_verdict: verdict.verdict, offline_reason: verdict.reason }, presence);
    this.queued = await this.store.queuedCount();
    this.onChange();
    return { ...verdict, scan_id: scan.scan_id, latency_ms: performance.now() - started };
  }

  async _cache() {
    const [event, keys] = await Promise.all([this.store.getMeta("event"), this.store.getMeta("keys")]);
    return { event: event ?? null, keys: keys ?? [],
      badge: (id) => this.store.badge(id),
      isInside: (id, slot, day) => this.store.isInside(id, slot, day) };
  }

  /** Check access (staff): no entry recorded. Offline from the staff feed's cache. */
  async check(code) {
    const started = performance.now();
    const cache = await this._cache();
    const probeGate = { zone_slot: -1, direction: "in", allow_reentry: false };
    const { verdict } = await decideOffline({ code, gate: probeGate, now: new Date(), cache,
      subtle: this.subtle, verify: this.verify, revealOnDeny: true });
    const tokenError = ["not_a_badge", "bad_signature", "unknown_key"].includes(verdict.reason);
    const result = { mode: "offline", valid: tokenError ? false : null, reason: tokenError ? verdict.reason : null,
      badge_id: verdict.badge_id, name: verdict.name, organization: verdict.organization,
      access_level: verdict.access_level, zones: null, days: null, inside: null, revoked: verdict.reason === "revoked" };
    const record = verdict.badge_id !== null ? await this.store.badge(verdict.badge_id) : null;
    if (record) {
      const names = (await this.store.getMeta("zone_names")) ?? {};
      result.zones = record.zone_slots.map((s) => names[s] ?? `#${s}`);
      result.days = record.days;
    }
    if (!tokenError && this.online && !(verdict.reason === "unknown_key" && cache.keys.length)) {
      try {
        // A POST body, never the URL: a full badge code must not land in access logs.
        const { attendee } = await request("/api/v1/lookup", { method: "POST", body: { code },
          csrf: this.staff ? this.staff.csrf : undefined, timeoutMs: 1500 });
        // The server's answer replaces the offline guess (an uncached typed number looks
        // like "not a badge" offline).
        Object.assign(result, { mode: "online", valid: null, reason: null,
          name: attendee.name, organization: attendee.organization,
          access_level: attendee.access_level, zones: attendee.zones, days: attendee.days,
          inside: attendee.inside, badge_id: attendee.badge ? attendee.badge.id : result.badge_id,
          revoked: attendee.badge ? attendee.badge.status !== "active" : result.revoked });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 404) Object.assign(result, { valid: false, reason: "not_a_badge" });
        else if (err.status === 0 || err.status >= 500) this._goOffline();
      }
    }
    if (result.valid === null) result.valid = !result.revoked && (result.badge_id !== null);
    if (result.revoked) result.reason = "revoked";
    result.latency_ms = performance.now() - started;
    return result;
  }

  // --- background work ----------------------------------------------------------------

  _revoked() {
    this.revoked = true;
    this.onChange();
  }

  _goOffline() {
    if (this.online) {
      this.online = false;
      this.onChange();
    }
    this._probe ??= setInterval(() => this._tryProbe(), PROBE_EVERY_MS);
  }

  async _tryProbe() {
    try {
      await request("/healthz", { timeoutMs: 800 });
    } catch {
      return;
    }
    clearInterval(this._probe);
    this._probe = null;
    this.online = true;
    this.onChange();
    await this.tick();
  }

  /** Upload what waits, then sync; called on a timer, after enrolment and on reconnect. */
  async tick() {
    if (this._busy) return;
    this._busy = true;
    try {
      if (this.enrolment && !this.revoked) {
        await this.upload();
        await this.sync();
      } else if (this.staff) {
        await this.staffSync();
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401 && this.enrolment) this._revoked();
      else if (err.status === 0 || err.status >= 500) this._goOffline();
    } finally {
      this._busy = false;
      this.onChange();
    }
  }

  async upload() {
    for (;;) {
      const scans = await this.store.queued(BATCH);
      if (scans.length === 0) break;
      const { results } = await request("/api/v1/scans/batch", { method: "POST", token: this.token,
        body: { scans }, timeoutMs: 10_000 });
      await this.store.markUploaded(results.map((r) => r.scan_id));
      this.queued = await this.store.queuedCount();
      this.onChange();
      if (results.length === 0) break;
    }
  }

  async sync(path = "/api/v1/sync", auth = { token: this.token }) {
    for (;;) {
      const cursor = (await this.store.getMeta("cursor")) ?? "";
      const page = await request(`${path}?format=2&cursor=${encodeURIComponent(cursor)}`,
        { ...auth, timeoutMs: 15_000 });
      await this.store.applySyncPage(unpackPage(page));
      if (!page.more) break;
    }
    this.onChange();
  }

  async staffSync() {
    await this.sync("/scan/feed", {});
    const { zones } = await request("/api/v1/zones", { timeoutMs: 5000 });
    await this.store.setMeta("zone_names", Object.fromEntries(zones.map((z) => [z.slot, z.name])));
  }

  async heartbeat() {
    if (!this.enrolment || this.revoked || !this.online) return;
    const last = await this.store.getMeta("last_sync");
    await request("/api/v1/devices/heartbeat", { method: "POST", token: this.token, timeoutMs: 5000,
      body: { queued_scans: this.queued, last_sync_at: last ? last.at : null, clock: new Date().toISOString(),
        mode: this.online ? "online" : "offline", gate: this.enrolment.gate.name } }).catch(() => {});
  }

  start() {
    setInterval(() => this.tick(), SYNC_EVERY_MS);
    setInterval(() => this.heartbeat(), HEARTBEAT_EVERY_MS);
    this.tick();
  }
}

function onlineVerdict(answer) {
  const attendee = answer.attendee ?? {};
  return { verdict: answer.verdict, reason: answer.reason, mode: "online",
    message: answer.message || REASON_TEXT[answer.reason] || "", name: attendee.name ?? null,
    organization: attendee.organization ?? null, access_level: attendee.access_level ?? null,
    badge_id: answer.badge ? answer.badge.id : null, typed: false };
}
