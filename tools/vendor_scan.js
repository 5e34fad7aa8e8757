// Copies what the /scan page needs from node_modules (installed by `npm ci` from the
// committed package-lock.json, so versions and hashes are pinned) into
// server/static/scan/vendor/, served by the app itself: nothing is fetched from a CDN at
// run time. `make setup` runs it; the copies are not committed (see README).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "server/static/scan/vendor");
const files = [
  ["zxing-wasm/dist/es/reader/index.js", "zxing/reader/index.js"],
  ["zxing-wasm/dist/es/share.js", "zxing/share.js"],
  ["zxing-wasm/dist/reader/zxing_reader.wasm", "zxing/zxing_reader.wasm"],
  ["zxing-wasm/LICENSE", "zxing/LICENSE"],
  ["@noble/ed25519/index.js", "noble-ed25519.js"],
  ["@noble/ed25519/LICENSE", "noble-ed25519-LICENSE"],
];
for (const [from, to] of files) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  copyFileSync(join(root, "node_modules", from), join(out, to));
}
console.log(`vendored ${files.length} files into ${out}`);
