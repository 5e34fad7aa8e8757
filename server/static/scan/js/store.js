// The page's durable state in IndexedDB: enrolment and sync cursor (meta), public keys and
// sealed badge records (badges), this device's presence log, and the outbox of scans owed
// to the server. Like the laptop's GateStore: a scan is committed (strict durability)
// before its verdict shows, and a sync page commits with its cursor.

import { daysOf, slotsOf } from "./token.js";

const DB_NAME = "admit-scan";
const VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

/**
 * A sync page in format 2 (badges as arrays, see shared/sync_schemas.py PackedSyncOut) as the
 * records this store keeps; a format 1 page (an older server) passes through unchanged.
 */
export function unpackPage(page) {
  if (page.format !== 2) return page;
  const at = Object.fromEntries(page.fields.map((name, i) => [name, i]));
  const dayZero = page.event.start_date;
  const days = new Map(); // most badges share a few day masks
  const badges = page.badges.map((row) => {
    const dayMask = row[at.day_mask];
    if (!days.has(dayMask)) days.set(dayMask, daysOf(dayMask, dayZero));
    const status = row[at.status]; // 0 active, 1 revoked, 2 erased (a revoked tombstone)
    const record = {
      badge_id: row[at.badge_id], revision: row[at.revision], revoked: status !== 0,
      zone_slots: slotsOf(row[at.zone_mask]), days: days.get(dayMask), sealed: row[at.sealed],
    };
    if (status === 2) record.erased = true;
    return record;
  });
  return { ...page, badges };
}

export class ScanStore {
  static async open(name = DB_NAME) {
    const request = indexedDB.open(name, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("meta");
      db.createObjectStore("badges", { keyPath: "badge_id" });
      db.createObjectStore("presence");
      const outbox = db.createObjectStore("outbox", { keyPath: "scan_id" });
      outbox.createIndex("seq", "seq");
    };
    return new ScanStore(await promised(request));
  }

  constructor(db) {
    this.db = db;
  }

  async getMeta(key) {
    return promised(this.db.transaction("meta").objectStore("meta").get(key));
  }

  async setMeta(key, value) {
    const tx = this.db.transaction("meta", "readwrite", { durability: "strict" });
    tx.objectStore("meta").put(value, key);
    return done(tx);
  }

  /** Forget the enrolment and everything learnt under it (another gate, a revoked token). */
  async reset() {
    const names = ["meta", "badges", "presence"];
    const tx = this.db.transaction(names, "readwrite", { durability: "strict" });
    for (const n of names) tx.objectStore(n).clear();
    return done(tx);
  }

  /** Records and the cursor that follows them commit together. */
  async applySyncPage(page) {
    const tx = this.db.transaction(["meta", "badges"], "readwrite", { durability: "strict" });
    const meta = tx.objectStore("meta");
    const badges = tx.objectStore("badges");
    for (const record of page.badges) badges.put(record);
    // The feed lists every valid key: a retired one simply disappears.
    meta.put(page.keys.map((k) => [k.key_id, k.public_key]), "keys");
    meta.put(page.cursor, "cursor");
    meta.put(page.event, "event");
    meta.put({ at: new Date().toISOString(), server_time: page.server_time }, "last_sync");
    return done(tx);
  }

  async badge(badgeId) {
    return (await promised(this.db.transaction("badges").objectStore("badges").get(badgeId))) ?? null;
  }

  async badgeCount() {
    return promised(this.db.transaction("badges").objectStore("badges").count());
  }

  async isInside(badgeId, zoneSlot, day) {
    const row = await promised(
      this.db.transaction("presence").objectStore("presence").get(`${badgeId}/${zoneSlot}/${day}`));
    return Boolean(row && row.inside);
  }

  /**
   * One strict transaction before the verdict shows: the scan owed to the server (null
   * when the server decided it online) and the presence change.
   */
  async recordVerdict(scan, presence) {
    const tx = this.db.transaction(["outbox", "presence"], "readwrite", { durability: "strict" });
    if (scan) tx.objectStore("outbox").put({ ...scan, seq: Date.now() + Math.random() });
    if (presence) {
      tx.objectStore("presence").put(presence, `${presence.badge_id}/${presence.zone_slot}/${presence.day}`);
    }
    return done(tx);
  }

  async queued(limit) {
    const index = this.db.transaction("outbox").objectStore("outbox").index("seq");
    const rows = await promised(index.getAll(null, limit));
    return rows.map(({ seq, ...scan }) => scan);
  }

  async markUploaded(scanIds) {
    const tx = this.db.transaction("outbox", "readwrite", { durability: "strict" });
    for (const id of scanIds) tx.objectStore("outbox").delete(id);
    return done(tx);
  }

  async queuedCount() {
    return promised(this.db.transaction("outbox").objectStore("outbox").count());
  }
}
