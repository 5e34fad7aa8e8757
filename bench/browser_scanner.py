"""The browser scanner (/scan) in headless Debian chromium on this machine: time from a badge
entering the camera's frame to its verdict on screen (online, and offline with the link
blackholed), decode time per frame, and the size of the page and its code.

    python bench/browser_scanner.py [--scans 5]

The fake camera plays a video whose frames carry their number (tests/support/fakecam.py);
the badge enters at a known frame, the page notes when each frame was presented and when
each verdict was painted. BarcodeDetector does not exist in Chromium on Linux, so the
decoder measured here is zxing-wasm (phones with BarcodeDetector use it instead).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import io
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import requests  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.support import fakecam  # noqa: E402
from tests.support.faultproxy import FaultProxy  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

GATE = "Prelude Hall Entrance"
EMPTY = 24  # the badge enters the frame at this frame number
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream"]


def _setup(server: LiveServer, tmp: Path) -> tuple[str, Path]:
    admin = server.session("admin")
    person = admin.post(f"{server.url}/api/v1/attendees", timeout=10, json={
        "name": "欧阳娜娜", "email": "bench@convention.example", "access_level": "VIP Guest",
        "organization": "Bench"}).json()
    badge = admin.post(f"{server.url}/api/v1/attendees/{person['id']}/badge", timeout=10).json()
    png = admin.get(f"{server.url}/api/v1/badges/{badge['id']}/qr.png", timeout=10).content
    video = fakecam.badge_video(tmp / "badge.y4m", Image.open(io.BytesIO(png)), fakecam.HELD,
                                empty=EMPTY)
    token = admin.post(f"{server.url}/api/v1/devices", timeout=10,
                       json={"name": "bench phone", "role": "gate", "gate": GATE}).json()["token"]
    return token, video


def _run(pw: Any, profile: Path, video: Path, url: str, scans: int) -> dict[str, list[float]]:
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path="/usr/bin/chromium", headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}"],
        viewport={"width": 390, "height": 844}, permissions=["camera"])
    context.set_default_timeout(60_000)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    latencies, frames, modes, engine_ms = [], [], [], []
    for n in range(1, scans + 1):
        page.wait_for_function("n => window.admitScan.history.length >= n", arg=n)
        # Read at once: frame EMPTY comes round again only one loop (3.6 s) later.
        v = page.evaluate("""([n, entered]) => {
            const v = window.admitScan.history[n - 1];
            return {shown: v.shown_at, entered: window.admitScan.camera.frameTimes.get(entered),
                    frame: v.frame, mode: v.mode, engine_ms: v.latency_ms};
        }""", [n, EMPTY])
        latencies.append(v["shown"] - v["entered"])
        frames.append(v["frame"] - EMPTY)
        modes.append(v["mode"])
        engine_ms.append(v["engine_ms"])
    decode = page.evaluate("window.admitScan.camera.stats")
    detector = page.evaluate("'BarcodeDetector' in window")
    context.close()
    return {"latency": latencies, "frames": frames, "modes": modes, "engine_ms": engine_ms,
            "decode": decode["decodeMs"],
            "engine": decode["engine"], "detector": detector}


def _sizes(url: str) -> dict[str, tuple[int, int]]:
    sw = requests.get(f"{url}/scan/sw.js", timeout=10).text
    assets = json.loads(sw.split("const ASSETS = ", 1)[1].split(";\n", 1)[0])
    groups: dict[str, tuple[int, int]] = {}
    for path in [*assets, "/scan/sw.js"]:
        body = requests.get(url + path, timeout=10).content
        name = ("decoder .wasm" if path.endswith(".wasm") else "decoder JS" if "/zxing/" in path
                else "Ed25519 fallback" if "noble" in path else "page + own code")
        raw, packed = groups.get(name, (0, 0))
        groups[name] = (raw + len(body), packed + len(gzip.compress(body, 6)))
    return groups


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"median {statistics.median(values):.0f} ms, p95 {p95:.0f} ms, "
            f"min {ordered[0]:.0f}, max {ordered[-1]:.0f} (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="admit-bench-scan-"))
    server = LiveServer("sqlite", attendees=200).start()
    host, port = server.url.rsplit(":", 1)
    proxy = FaultProxy("127.0.0.1", int(port))
    try:
        token, video = _setup(server, tmp)
        enrol = base64.urlsafe_b64encode(json.dumps(
            {"server": proxy.url, "token": token, "gate": GATE}).encode()).decode().rstrip("=")
        with sync_playwright() as pw:
            online = _run(pw, tmp / "profile", video, f"{proxy.url}/scan?stamps=1&hold=0#enrol={enrol}",
                          args.scans)
            proxy.set_mode("blackhole")
            offline = _run(pw, tmp / "profile", video, f"{proxy.url}/scan?stamps=1&hold=0", args.scans)
        print("browser scanner (/scan), headless Debian chromium, fake camera 640x480 @ 15 fps")
        for label, run in (("online", online), ("offline (link blackholed)", offline)):
            print(f"  badge enters frame -> verdict painted, {label}: {_ms(run['latency'])}; "
                  f"modes {sorted(set(run['modes']))}; decided on frame +{run['frames']} after entry")
            print(f"    of which the verdict engine (code in, verdict recorded): {_ms(run['engine_ms'])}")
        decode = online["decode"] + offline["decode"]
        print(f"  decode per frame ({online['engine']}, 640x480, tryHarder): {_ms(decode)}")
        print(f"  BarcodeDetector in this Chromium: {'yes' if online['detector'] else 'no (Linux)'}"
              " -> phones that have it (Android, macOS, ChromeOS) use it instead of zxing-wasm")
        total_raw = total_gz = 0
        for name, (raw, packed) in _sizes(server.url).items():
            total_raw += raw
            total_gz += packed
            print(f"  size {name}: {raw / 1024:.0f} KiB, gzip {packed / 1024:.0f} KiB")
        print(f"  size in all (cached by the service worker): {total_raw / 1024:.0f} KiB, "
              f"gzip {total_gz / 1024:.0f} KiB")
    finally:
        proxy.close()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
