"""QR decoders on the real photo corpus: zxing-cpp and pyzbar baselines against the gate
pipeline (scanner_client/decoder.py), scored by the corpus's own score.py.

    .venv/bin/python bench/decoder_corpus.py [--corpus DIR] [--manifest FILE] [--out DIR]
        [--max-ms 60] [--repeat 1] [--exif] [--per-set]

Every decoder gets the same grayscale image, loaded once, and is timed on the decode
call alone, in one thread. Images are loaded in their stored pixel orientation: the
hand-labelled quads of the EXIF-rotated photos (boofcv-lots and a few others) are in that
frame, so applying EXIF rotation (``--exif``, what the corpus README table did) scores
codes that were read as missed. Result files (JSON lines, score.py's format) go to --out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import zxingcpp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner_client.decoder import (  # noqa: E402
    DecodedCode,
    FrameDecoder,
    decode_pyzbar,
    decode_zxing,
)

Decoder = Callable[[np.ndarray], list[DecodedCode]]


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """zbar's databar decoder prints assertion noise on fd 2 for some photos."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def zxing_qr_only(gray: np.ndarray) -> list[DecodedCode]:
    """Not a baseline: shows what the README's 1.4 ms median most likely measured."""
    out = []
    for b in zxingcpp.read_barcodes(
            gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        p = b.position
        pts = tuple((float(q.x), float(q.y)) for q in
                    (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        out.append(DecodedCode(b.text, pts, "zxing-qr"))
    return out


def load(corpus: Path, entries: list[dict[str, Any]], exif: bool) -> dict[str, np.ndarray]:
    flags = cv2.IMREAD_GRAYSCALE | (0 if exif else cv2.IMREAD_IGNORE_ORIENTATION)
    images = {}
    for e in entries:
        img = cv2.imread(str(corpus / e["image"]), flags)
        if img is None:
            raise SystemExit(f"cannot read {corpus / e['image']}")
        images[e["image"]] = img
    return images


def run(decode: Decoder, images: dict[str, np.ndarray], path: Path, repeat: int,
        quiet: bool) -> list[float]:
    """Decode every image, write score.py's JSON lines, return ms per image."""
    times = []
    guard = quiet_stderr if quiet else contextlib.nullcontext
    with path.open("w") as out, guard():
        for name, img in images.items():
            best = float("inf")
            codes: list[DecodedCode] = []
            for i in range(repeat):
                start = time.perf_counter()
                found = decode(img)
                best = min(best, (time.perf_counter() - start) * 1000.0)
                if i == 0:  # the first run's reads count: a budgeted decoder may vary
                    codes = found
            times.append(best)
            row = {"image": name, "ms": round(best, 3),
                   "codes": [{"text": c.text, "points": [list(p) for p in c.corners]}
                             for c in codes]}
            out.write(json.dumps(row) + "\n")
    return times


def score(score_py: Path, results: Path, manifest: Path) -> tuple[float, float, dict[str, float], str]:
    """Run the corpus's score.py; return (mean of set rates, all codes, per set, text)."""
    proc = subprocess.run(
        [sys.executable, str(score_py), str(results), "--manifest", str(manifest)],
        capture_output=True, text=True, check=True,
    )
    per_set: dict[str, float] = {}
    macro = total = float("nan")
    for line in proc.stdout.splitlines():
        rate = next((w for w in line.split() if w.endswith("%")), None)
        if rate is None:
            continue
        value = float(rate[:-1]) / 100.0
        if line.startswith("MEAN OF SET RATES"):
            macro = value
        elif line.startswith("ALL "):
            total = value
        else:
            per_set[line.split()[0]] = value
    return macro, total, per_set, proc.stdout


def pick(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "qr-corpus")
    ap.add_argument("--manifest", type=Path, default=None,
                    help="default: manifest.json in --corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "decoder_corpus")
    ap.add_argument("--max-ms", type=float, default=FrameDecoder().max_ms,
                    help="the pipeline's per-frame budget (default: the decoder's)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time each image this many times and keep the fastest")
    ap.add_argument("--exif", action="store_true",
                    help="apply EXIF rotation on load (as the corpus README table did)")
    ap.add_argument("--per-set", action="store_true", help="also print the rate per set")
    a = ap.parse_args()
    manifest = a.manifest or a.corpus / "manifest.json"
    score_py = a.corpus / "score.py"
    entries = json.loads(manifest.read_text())
    a.out.mkdir(parents=True, exist_ok=True)
    cv2.setNumThreads(1)

    images = load(a.corpus, entries, a.exif)
    decoders: list[tuple[str, str, Decoder]] = [
        ("zxing-cpp (baseline, defaults)", "zxing", decode_zxing),
        ("pyzbar (baseline, defaults)", "pyzbar", decode_pyzbar),
        ("zxing-cpp QR only (reference)", "zxing_qr", zxing_qr_only),
        ("pipeline, every copy", "pipeline",
         FrameDecoder(max_ms=a.max_ms, unique_text=False).decode),
        ("pipeline, one per text (gate)", "pipeline_gate",
         FrameDecoder(max_ms=a.max_ms).decode),
    ]
    warm = np.full((64, 64), 200, np.uint8)
    rows = []
    for label, key, decode in decoders:
        decode(warm)  # first-call setup is not a per-image cost
        path = a.out / f"{key}.jsonl"
        times = run(decode, images, path, a.repeat, quiet=key == "pyzbar")
        macro, total, per_set, text = score(score_py, path, manifest)
        (a.out / f"{key}.score.txt").write_text(text)
        rows.append((label, macro, total, statistics.median(times), pick(times, 0.95), per_set))

    print(f"corpus {a.corpus} ({len(images)} images, "
          f"{'EXIF-rotated' if a.exif else 'stored orientation'}), "
          f"pipeline budget {a.max_ms:g} ms, fastest of {a.repeat}")
    print(f"{'decoder':34} {'mean of set rates':>18} {'all codes':>10} "
          f"{'median ms':>10} {'p95 ms':>8}")
    for label, macro, total, med, p95, _ in rows:
        print(f"{label:34} {macro:18.1%} {total:10.1%} {med:10.2f} {p95:8.1f}")
    if a.per_set:
        keys = [k for _, k, _ in decoders]
        print("\n" + f"{'set':24}" + "".join(f"{k:>14}" for k in keys))
        for name in sorted(rows[0][5]):
            print(f"{name:24}" + "".join(f"{r[5].get(name, float('nan')):14.0%}" for r in rows))


if __name__ == "__main__":
    main()
