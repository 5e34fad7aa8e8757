// English and Chinese for the scanner page. Elements carry data-i18n="key"; reasons use
// their stable codes as keys so the policy's words and the screen's never drift.

const STRINGS = {
  title: ["Admit scanner", "Admit 扫码"],
  online: ["Online", "在线"],
  offline: ["Offline", "离线"],
  waiting: ["{n} scans waiting to upload", "{n} 条扫码待上传"],
  all_sent: ["All scans uploaded", "扫码已全部上传"],
  admit: ["ADMIT", "通过"],
  deny: ["DENY", "拒绝"],
  check_result: ["CHECK", "查验"],
  typed_label: ["Badge number", "胸卡编号"],
  typed_submit: ["Check number", "核验编号"],
  torch: ["Torch", "手电筒"],
  start_camera: ["Start camera", "开启摄像头"],
  camera_denied: ["The camera is not available: {e}", "摄像头不可用：{e}"],
  not_enrolled: ["This browser is not enrolled as a gate yet. Open the enrolment link from the dashboard's device page, or scan its enrolment QR code here.",
    "此浏览器尚未注册为闸口。请打开后台设备页上的注册链接，或在此扫描注册二维码。"],
  enrol_other_server: ["Refused: this enrolment is for {s}, but this page is {o}. Open /scan on that server.",
    "已拒绝：此注册码属于 {s}，而本页面来自 {o}。请在该服务器上打开 /scan。"],
  enrol_bad: ["This is not an enrolment code.", "这不是注册码。"],
  enrol_failed: ["Enrolment failed: {e}", "注册失败：{e}"],
  enrolled_as: ["Gate {g} · {z} · {d}", "闸口 {g} · {z} · {d}"],
  dir_in: ["entry", "入口"],
  dir_out: ["exit", "出口"],
  pick_gate: ["Choose the gate this device serves", "选择此设备所在的闸口"],
  device_revoked: ["This device's token was revoked or is invalid: enrol again.", "此设备的令牌已被吊销或无效，请重新注册。"],
  staff_title: ["Check access (security staff)", "查验权限（安保人员）"],
  email: ["Email", "电子邮箱"],
  password: ["Password", "密码"],
  sign_in: ["Sign in", "登录"],
  sign_out: ["Sign out", "退出"],
  signed_in_as: ["Checking access as {u} · no entry is recorded", "以 {u} 身份查验 · 不记录入场"],
  login_failed: ["Sign-in failed: {e}", "登录失败：{e}"],
  level: ["Access level", "权限等级"],
  zones: ["Zones", "区域"],
  days: ["Days", "日期"],
  now_at: ["Now", "当前位置"],
  nowhere: ["Not inside any zone", "不在任何区域内"],
  unknown_offline: ["(offline: location unknown)", "（离线：位置未知）"],
  badge: ["Badge", "胸卡"],
  mode_online: ["decided by the server", "服务器判定"],
  mode_offline: ["decided offline on this device", "本机离线判定"],
  typed_note: ["Typed badge number - check photo ID", "手动输入编号——请核对证件照片"],
  mistyped: ["Badge number mistyped (check digit does not match)", "编号输入有误（校验位不符）"],
  last_sync: ["Synced {t} · {n} badges", "已同步 {t} · {n} 张胸卡"],
  never_synced: ["Not synced yet", "尚未同步"],
  language: ["中文", "English"],
  ok: ["Welcome", "欢迎"],
  not_inside: ["Exit recorded (no entry on record)", "已记录离场（无入场记录）"],
  not_a_badge: ["Not one of our badges", "不是本活动的胸卡"],
  bad_signature: ["Forged or damaged badge", "伪造或损坏的胸卡"],
  unknown_key: ["Badge signed with an unknown or retired key", "胸卡签名密钥未知或已停用"],
  revoked: ["Badge revoked (lost or replaced)", "胸卡已吊销（遗失或已补发）"],
  device_not_allowed: ["This device may not scan at this gate", "此设备不能在该闸口扫码"],
  not_valid_today: ["Badge not valid today", "胸卡今日无效"],
  wrong_zone: ["No access to this area", "无权进入此区域"],
  already_inside: ["Already inside (badge used for entry)", "已在场内（胸卡已入场）"],
  zone_full: ["Area full", "区域已满"],
  forced: ["Admitted by supervisor override", "主管强制放行"],
  annulled: ["Admit annulled by the gate", "闸机已撤销放行"],
  valid_badge: ["Valid badge", "胸卡有效"],
};

let current = "en";

export function chooseLanguage(stored, search, browserLanguages) {
  const asked = new URLSearchParams(search).get("lang");
  if (asked === "en" || asked === "zh") return asked;
  if (stored === "en" || stored === "zh") return stored;
  return (browserLanguages || []).some((l) => l.toLowerCase().startsWith("zh")) ? "zh" : "en";
}

export function setLanguage(lang) {
  current = lang === "zh" ? "zh" : "en";
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}

export function language() {
  return current;
}

export function t(key, values = {}) {
  const pair = STRINGS[key];
  let text = pair ? pair[current === "zh" ? 1 : 0] : key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}
