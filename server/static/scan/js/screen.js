// What the person at the gate sees and hears: ADMIT / DENY as word, shape and colour, the
// reason in plain words, the name in its own script and direction, a sound, a vibration.
import { language, t } from "./i18n.js";

let audio = null;

/** Browsers start audio only after a gesture: the first tap anywhere unlocks it. */
export function unlockAudio() {
  const Ctx = globalThis.AudioContext ?? globalThis.webkitAudioContext;
  if (!Ctx) return;
  audio ??= new Ctx();
  if (audio.state === "suspended") audio.resume().catch(() => {});
}

function beep(admit) {
  if (!audio || audio.state !== "running") return;
  const tones = admit ? [[880, 0], [1320, 0.12]] : [[220, 0], [180, 0.18], [220, 0.36]];
  for (const [freq, at] of tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = admit ? "sine" : "square";
    osc.frequency.value = freq;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    osc.start(audio.currentTime + at);
    osc.stop(audio.currentTime + at + 0.14);
  }
}

function fact(dl, label, value) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dd.dir = "auto";
  dl.append(dt, dd);
}

function formatDays(days) {
  if (!days || days.length === 0) return "—";
  const fmt = new Intl.DateTimeFormat(language() === "zh" ? "zh-CN" : "en-GB",
    { month: "short", day: "numeric", timeZone: "UTC" });
  return days.map((d) => fmt.format(new Date(`${d}T00:00:00Z`))).join(", ");
}

function show(el, kind, parts) {
  el.dataset.verdict = kind;
  el.querySelector("#v-word").textContent = parts.word;
  el.querySelector("#v-reason").textContent = parts.reason;
  el.querySelector("#v-name").textContent = parts.name ?? "";
  el.querySelector("#v-org").textContent = parts.org ?? "";
  const facts = el.querySelector("#v-facts");
  facts.replaceChildren();
  for (const [label, value] of parts.facts ?? []) fact(facts, label, value);
  facts.hidden = facts.childElementCount === 0;
  el.querySelector("#v-meta").textContent = parts.meta;
  el.hidden = false;
}

/** A gate verdict. Only an admit shows who it is; a deny shows the reason and the badge. */
export function showVerdict(el, v, badgeNumber) {
  const admit = v.verdict === "admit";
  let reason = t(v.reason);
  if (v.typed && (v.message ?? "").includes("mistyped")) reason = t("mistyped");
  else if (v.typed && admit) reason = `${reason} · ${t("typed_note")}`;
  show(el, v.verdict, {
    word: t(admit ? "admit" : "deny"), reason,
    name: admit ? v.name : null, org: admit ? v.organization : null,
    facts: admit && v.access_level ? [[t("level"), v.access_level]] : [],
    meta: [badgeNumber ? `${t("badge")} ${badgeNumber}` : null, t(v.mode === "online" ? "mode_online" : "mode_offline")]
      .filter(Boolean).join(" · "),
  });
  el.dataset.reason = v.reason;
  el.dataset.mode = v.mode;
  feedback(admit);
}

/** A staff check: level, zones, days and (online) where the person is now. */
export function showCheck(el, r, badgeNumber) {
  const facts = [];
  if (r.valid) {
    facts.push([t("level"), r.access_level ?? "—"], [t("zones"), (r.zones ?? []).join(", ") || "—"],
      [t("days"), formatDays(r.days)]);
    if (r.inside === null) facts.push([t("now_at"), t("unknown_offline")]);
    else facts.push([t("now_at"), r.inside.length ? r.inside.map((p) => `${p.zone} (${p.gate})`).join(", ") : t("nowhere")]);
  }
  show(el, r.valid ? "check" : "deny", {
    word: r.valid ? t("check_result") : t("deny"), reason: r.valid ? t("valid_badge") : t(r.reason ?? "not_a_badge"),
    name: r.valid ? r.name : null, org: r.valid ? r.organization : null, facts,
    meta: [badgeNumber ? `${t("badge")} ${badgeNumber}` : null, t(r.mode === "online" ? "mode_online" : "mode_offline")]
      .filter(Boolean).join(" · "),
  });
  el.dataset.valid = String(Boolean(r.valid));
  el.dataset.reason = r.reason ?? "ok";
  el.dataset.mode = r.mode;
  feedback(Boolean(r.valid));
}

function feedback(good) {
  beep(good);
  if (navigator.vibrate) navigator.vibrate(good ? [80] : [200, 100, 200]);
}
