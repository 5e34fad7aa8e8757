// The /scan page: wires enrolment, the camera, the engine and the screen together.
// Everything here is in static files (no inline script), so the page runs under
// Content-Security-Policy script-src 'self' 'wasm-unsafe-eval'.
import { request } from "./api.js";
import { Camera } from "./camera.js";
import { EnrolmentError, parseEnrolment, ScanEngine } from "./engine.js";
import { chooseLanguage, language, setLanguage, t } from "./i18n.js";
import { formatBadgeNumber, typedBadgeNumber } from "./offline.js";
import { showCheck, showVerdict, unlockAudio } from "./screen.js";
import { ScanStore } from "./store.js";
import { makeVerifier } from "./token.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const HOLD_MS = Number(params.get("hold") ?? 2500);
const history = []; // every verdict this page showed, for staff review and the tests
let hideTimer = null;
let engine;

function notice(key, values) {
  const el = $("notice");
  el.hidden = !key;
  el.textContent = key ? t(key, values) : "";
}

function render() {
  const net = $("net");
  net.dataset.state = engine.online ? "online" : "offline";
  $("net-word").textContent = t(engine.online ? "online" : "offline");
  const q = $("queue");
  q.dataset.waiting = String(engine.queued > 0);
  q.dataset.count = String(engine.queued);
  q.textContent = engine.enrolment ? (engine.queued > 0 ? t("waiting", { n: engine.queued }) : t("all_sent")) : "";
  const g = engine.enrolment ? engine.enrolment.gate : null;
  $("gate-line").textContent = g ? t("enrolled_as", { g: g.name, z: g.zone, d: t(g.direction === "out" ? "dir_out" : "dir_in") })
    : engine.staff ? t("signed_in_as", { u: engine.staff.email }) : "";
  $("enrol").hidden = Boolean(g || engine.staff);
  $("staff").hidden = Boolean(g); // an enrolled gate gives gate verdicts only
  $("login").hidden = Boolean(engine.staff);
  $("staff-who").hidden = !engine.staff;
  $("logout").hidden = !engine.staff;
  if (engine.staff) $("staff-who").textContent = t("signed_in_as", { u: engine.staff.email });
  if (engine.revoked) notice("device_revoked");
  engine.store.getMeta("last_sync").then(async (last) => {
    $("sync-line").textContent = last
      ? t("last_sync", { t: new Date(last.at).toLocaleTimeString(language() === "zh" ? "zh-CN" : "en-GB"), n: await engine.store.badgeCount() })
      : (g || engine.staff ? t("never_synced") : "");
  });
}

function hold() {
  clearTimeout(hideTimer);
  if (HOLD_MS > 0) hideTimer = setTimeout(() => { $("verdict").hidden = true; }, HOLD_MS);
}

async function handle(text, info = {}) {
  if (!engine.enrolment && !engine.staff) return enrolFrom(text);
  if (engine.enrolment) {
    const v = await engine.scan(text); // durably recorded before it shows
    if (v.mode === "online" && typedBadgeNumber(text) !== null) v.typed = true;
    showVerdict($("verdict"), v, v.badge_id !== null ? formatBadgeNumber(v.badge_id) : null);
    history.push({ ...v, frame: info.frame ?? null, seen_at: info.seenAt ?? null, shown_at: await painted() });
  } else {
    const r = await engine.check(text);
    showCheck($("verdict"), r, r.badge_id !== null ? formatBadgeNumber(r.badge_id) : null);
    history.push({ check: true, ...r, frame: info.frame ?? null, shown_at: await painted() });
  }
  hold();
  render();
}

/** When the verdict is on screen: after the next frame is painted. */
function painted() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));
}

async function enrolFrom(text, chosenGate = null) {
  let enrolment;
  try {
    enrolment = parseEnrolment(text, location.origin);
  } catch (err) {
    if (err instanceof EnrolmentError) return notice(err.key, err.values);
    throw err;
  }
  try {
    const result = await engine.enrol(enrolment, chosenGate);
    if (result.gates) return offerGates(enrolment, result.gates);
    notice(null);
  } catch (err) {
    notice("enrol_failed", { e: err.message });
  }
  render();
}

function offerGates(enrolment, gates) {
  const select = $("gate-pick");
  select.replaceChildren(new Option("—", ""), ...gates.map((g) => new Option(`${g.name} (${g.zone}, ${g.direction})`, g.name)));
  select.hidden = false;
  $("gate-pick-label").hidden = false;
  select.onchange = () => select.value && enrolFrom(JSON.stringify({ ...enrolment, server: location.origin }), select.value);
}

async function signIn(event) {
  event.preventDefault();
  try {
    const out = await request("/scan/session", { method: "POST", timeoutMs: 10_000,
      body: { email: $("login-email").value, password: $("login-password").value } });
    engine.staff = { ...out.user, csrf: out.csrf };
    $("login-password").value = "";
    notice(null);
    await engine.tick();
  } catch (err) {
    notice("login_failed", { e: err.message });
  }
  render();
}

async function signOut() {
  await request("/scan/session/logout", { method: "POST", csrf: engine.staff.csrf, body: {} }).catch(() => {});
  engine.staff = null;
  render();
}

async function startCamera(camera) {
  try {
    await camera.start();
    $("start").hidden = true;
    if (camera.torchSupported) $("torch").hidden = false;
  } catch (err) {
    $("start").hidden = false;
    notice("camera_denied", { e: err.message ?? String(err) });
  }
}

async function main() {
  setLanguage(chooseLanguage(localStorage.getItem("admit-scan-lang"), location.search, navigator.languages));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(document.body.dataset.sw, { scope: document.body.dataset.scope })
      .catch((err) => console.warn("service worker not registered", err));
  }
  const verify = makeVerifier(crypto.subtle, () => import("../vendor/noble-ed25519.js"));
  engine = new ScanEngine({ store: await ScanStore.open(), subtle: crypto.subtle, verify, onChange: render });
  await engine.load();
  const camera = new Camera({ video: $("video"), canvas: $("frame"), stamps: params.has("stamps"),
    onCode: (text, info) => handle(text, info).catch((err) => console.error(err)) });
  window.admitScan = { history, engine, camera, verify };

  $("lang").addEventListener("click", () => {
    const next = language() === "zh" ? "en" : "zh";
    localStorage.setItem("admit-scan-lang", next);
    setLanguage(next);
    render();
  });
  $("typed").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("typed-input").value.trim();
    $("typed-input").value = "";
    if (value) handle(value).catch((err) => console.error(err));
  });
  $("verdict").addEventListener("click", () => { $("verdict").hidden = true; });
  $("login").addEventListener("submit", signIn);
  $("logout").addEventListener("click", signOut);
  $("start").addEventListener("click", () => startCamera(camera));
  $("torch").addEventListener("click", async () => {
    const on = $("torch").getAttribute("aria-pressed") !== "true";
    await camera.setTorch(on).then(() => $("torch").setAttribute("aria-pressed", String(on))).catch(() => {});
  });
  document.addEventListener("pointerdown", unlockAudio, { once: true });

  if (location.hash.startsWith("#enrol=")) {
    const text = location.hash.slice("#enrol=".length);
    // The token leaves the address bar and the history at once.
    window.history.replaceState(null, "", location.pathname + location.search);
    await enrolFrom(text);
  }
  if (!engine.enrolment) {
    const session = await request("/scan/session", { timeoutMs: 1500 }).catch(() => null);
    if (session && session.user) engine.staff = { ...session.user, csrf: session.csrf };
  }
  render();
  engine.start();
  await startCamera(camera);
  document.body.dataset.ready = "true";
}

main();
