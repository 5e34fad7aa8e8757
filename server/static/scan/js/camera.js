// Camera and decoder: the rear camera where there is one, continuous decoding of each new
// frame (one decode in flight at a time), and no resubmission of a code still in view for
// 3 s. zxing-wasm (zxing-cpp in WebAssembly) reads the frames; its .wasm comes from this
// app's own static files, never from its default CDN. The browser's BarcodeDetector is
// used instead where it exists (Android, macOS, ChromeOS; not Chromium on Linux).
import { prepareZXingModule, readBarcodes } from "../vendor/zxing/reader/index.js";

export const RESUBMIT_AFTER_MS = 3000;
const WASM_URL = new URL("../vendor/zxing/zxing_reader.wasm", import.meta.url).href;

prepareZXingModule({
  overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? WASM_URL : prefix + path) },
});

/** The frame number stamped by the test and bench videos: 16 cells across the top band. */
export function readFrameStamp(image) {
  const { width, data } = image;
  const y = 6;
  let value = 0;
  for (let bit = 0; bit < 16; bit++) {
    const x = Math.floor(((bit + 0.5) * width) / 16);
    const i = (y * width + x) * 4;
    if (data[i] + data[i + 1] + data[i + 2] < 3 * 128) value |= 1 << bit;
  }
  return value;
}

export class Camera {
  constructor({ video, canvas, onCode, stamps = false }) {
    this.video = video;
    this.canvas = canvas;
    this.onCode = onCode;
    this.stamps = stamps;
    this.track = null;
    this.lastSent = new Map();
    this.stats = { frames: 0, decodeMs: [], engine: null };
    this.frameTimes = new Map(); // stamp -> when the page last saw that frame presented
    this._inFlight = false;
    this._detector = null;
  }

  async start() {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    this.track = stream.getVideoTracks()[0];
    this.video.srcObject = stream;
    await this.video.play();
    if ("BarcodeDetector" in globalThis) {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats().catch(() => []);
      if (formats.includes("qr_code")) this._detector = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
    }
    this.stats.engine = this._detector ? "BarcodeDetector" : "zxing-wasm";
    this._schedule();
  }

  get torchSupported() {
    const caps = this.track && this.track.getCapabilities ? this.track.getCapabilities() : {};
    return Boolean(caps.torch);
  }

  async setTorch(on) {
    await this.track.applyConstraints({ advanced: [{ torch: on }] });
  }

  _schedule() {
    if (this.video.requestVideoFrameCallback) this.video.requestVideoFrameCallback(() => this._frame());
    else requestAnimationFrame(() => this._frame());
  }

  async _frame() {
    if (this.stamps && this.video.readyState >= 2) this._noteStamp();
    if (this._inFlight || this.video.readyState < 2) {
      this._schedule();
      return;
    }
    this._inFlight = true;
    this._schedule(); // keep listening; frames arriving while we decode are skipped
    try {
      await this._decode();
    } finally {
      this._inFlight = false;
    }
  }

  /** Every presented frame, decoded or skipped: when did it appear (for the bench). */
  _noteStamp() {
    const w = this.video.videoWidth;
    if (!w) return;
    this._strip ??= document.createElement("canvas");
    this._strip.width = w;
    this._strip.height = 12;
    const ctx = this._strip.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(this.video, 0, 0, w, 12, 0, 0, w, 12);
    const stamp = readFrameStamp(ctx.getImageData(0, 0, w, 12));
    if (stamp !== this._lastStamp) this.frameTimes.set(stamp, performance.now()); // a new frame
    this._lastStamp = stamp;
  }

  async _decode() {
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!w || !h) return;
    this.canvas.width = w;
    this.canvas.height = h;
    const ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(this.video, 0, 0, w, h);
    const image = ctx.getImageData(0, 0, w, h);
    const frame = this.stamps ? readFrameStamp(image) : null;
    const seenAt = performance.now();
    let texts;
    if (this._detector) {
      texts = (await this._detector.detect(this.canvas)).map((b) => b.rawValue);
    } else {
      const results = await readBarcodes(image, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 });
      texts = results.filter((r) => r.isValid).map((r) => r.text);
    }
    const decodeMs = performance.now() - seenAt;
    this.stats.frames += 1;
    if (this.stats.decodeMs.length < 5000) this.stats.decodeMs.push(decodeMs);
    for (const text of texts) {
      const last = this.lastSent.get(text);
      if (last !== undefined && seenAt - last < RESUBMIT_AFTER_MS) continue; // still in view
      this.lastSent.set(text, seenAt);
      this.onCode(text, { frame, seenAt, decodeMs });
    }
  }
}
