"""The gate's QR decoder on real pixels: badge codes rendered with segno, distorted the
way a camera distorts them, decoded by the real pipeline (no mocks)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import segno

from scanner_client.decoder import DecodedCode, FrameDecoder, decode_zxing

W, H = 1280, 720
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "qr-corpus"

Frame = np.ndarray
Distortion = Callable[[str, np.random.Generator], tuple[Frame, tuple[float, float]]]


def badge_text(seed: int, length: int = 122) -> str:
    """shared/token.py's shape: "ADM1" + base-36 digits, 122 characters in all."""
    rng = np.random.default_rng(seed)
    return "ADM1" + "".join(rng.choice(list(ALPHANUMERIC), length - 4))


def render(data: str | bytes) -> np.ndarray:
    """One pixel per module, 4-module quiet zone, dark modules 0, light 255."""
    qr = segno.make_qr(data, error="m", boost_error=False)
    modules = np.pad(np.array(qr.matrix, dtype=np.uint8), 4)
    return np.where(modules == 1, 0, 255).astype(np.uint8)


def scene(rng: np.random.Generator, gain: float = 1.0) -> Frame:
    """A camera view without a badge: blotchy background, some objects, sensor noise."""
    base = cv2.resize(rng.integers(50, 210, (H // 16, W // 16)).astype(np.uint8), (W, H),
                      interpolation=cv2.INTER_CUBIC).astype(np.float64)
    for _ in range(10):
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        cv2.rectangle(base, (x, y), (x + int(rng.integers(40, 300)), y + int(rng.integers(40, 200))),
                      float(rng.integers(30, 230)), -1)
    return np.clip(base * gain + rng.normal(0, 3, (H, W)), 0, 255).astype(np.uint8)


def place(frame: Frame, code: np.ndarray, centre: tuple[float, float], size: float,
          skew: float = 0.06, angle: float = 0.0) -> Frame:
    """Warp the code onto a skewed, rotated quad of about ``size`` px around ``centre``."""
    s = size / 2
    quad = np.array([[-s, -s], [s, -s], [s, s], [-s, s]])
    quad += np.array([[skew, 0], [0, skew], [-skew / 2, -skew / 2], [0, 0]]) * size
    a = np.deg2rad(angle)
    quad = quad @ np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]).T + centre
    h, w = code.shape
    m = cv2.getPerspectiveTransform(np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32),
                                    quad.astype(np.float32))
    out = frame.copy()
    cv2.warpPerspective(code, m, (frame.shape[1], frame.shape[0]), dst=out,
                        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    return out


def glare(frame: Frame, centre: tuple[float, float], amp: float, radius: float) -> Frame:
    yy, xx = np.mgrid[: frame.shape[0], : frame.shape[1]]
    blob = amp * np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * radius**2))
    return np.asarray(np.clip(frame + blob, 0, 255), dtype=np.uint8)


def jpeg(frame: Frame, quality: int) -> Frame:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    assert out is not None
    return np.asarray(out)


def _upright(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    return place(scene(rng), render(text), (640, 360), 200), (640, 360)


def _perspective(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    return place(scene(rng), render(text), (500, 330), 230, skew=0.3), (500, 330)


def _blur(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    return cv2.GaussianBlur(place(scene(rng), render(text), (700, 400), 220), (0, 0), 1.4), (700, 400)


def _glare(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    f = place(scene(rng), render(text), (640, 360), 240, skew=0.0)
    return glare(f, (650, 350), 255, 60), (640, 360)


def _small(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    return place(scene(rng), render(text), (260, 180), 90), (260, 180)


def _phone(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    return place(scene(rng, gain=0.15), render(text), (640, 360), 200), (640, 360)


def _phone_inverted(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    return place(scene(rng, gain=0.15), 255 - render(text), (640, 360), 200), (640, 360)


def _rotated(angle: float) -> Distortion:
    def make(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
        return place(scene(rng), render(text), (640, 360), 210, angle=angle), (640, 360)
    return make


def _jpeg(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    return jpeg(place(scene(rng), render(text), (640, 360), 180), 20), (640, 360)


def _dim(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    f = place(scene(rng), render(text), (640, 360), 200)
    return (f * 0.12 + 10).astype(np.uint8), (640, 360)


def _colour(text: str, rng: np.random.Generator) -> tuple[Frame, tuple[float, float]]:
    f = place(scene(rng), render(text), (640, 360), 200)
    bgr = cv2.cvtColor(f, cv2.COLOR_GRAY2BGR)
    bgr[:, :, 0] = np.clip(bgr[:, :, 0].astype(int) + 40, 0, 255)  # a bluish cast
    return bgr, (640, 360)


DISTORTIONS: dict[str, Distortion] = {
    "upright": _upright, "perspective": _perspective, "blur": _blur, "glare": _glare,
    "small-90px": _small, "phone-screen": _phone, "phone-inverted": _phone_inverted,
    "rotated-37": _rotated(37), "rotated-90": _rotated(90), "rotated-180": _rotated(180),
    "jpeg-q20": _jpeg, "dim": _dim, "bgr-colour": _colour,
}


@pytest.fixture(scope="module")
def decoder() -> FrameDecoder:
    return FrameDecoder()


def _centre(code: DecodedCode) -> tuple[float, float]:
    return (sum(x for x, _ in code.corners) / 4, sum(y for _, y in code.corners) / 4)


@pytest.mark.parametrize("name", list(DISTORTIONS))
def test_badge_text_comes_back_exactly(decoder: FrameDecoder, name: str) -> None:
    text = badge_text(seed=len(name))
    frame, centre = DISTORTIONS[name](text, np.random.default_rng(3))
    codes = decoder.decode(frame)
    assert [c.text for c in codes] == [text]
    (code,) = codes
    assert len(code.corners) == 4
    cx, cy = _centre(code)
    assert abs(cx - centre[0]) < 20 and abs(cy - centre[1]) < 20
    assert code.engine.startswith(("zxing", "pyzbar"))


def test_longer_alphanumeric_code_version_6(decoder: FrameDecoder) -> None:
    text = badge_text(seed=131, length=131)  # one notch over version 5-M's 122
    frame, _ = _perspective(text, np.random.default_rng(5))
    assert [c.text for c in decoder.decode(frame)] == [text]


@pytest.mark.parametrize("case", ["glare", "defocus"])
def test_fallbacks_read_what_plain_zxing_misses(decoder: FrameDecoder, case: str) -> None:
    rng = np.random.default_rng(11)
    pipeline = plain = 0
    for i in range(6):
        text = badge_text(seed=100 + i)
        if case == "glare":
            f = place(scene(rng), render(text), (640, 360), 230, skew=0.0)
            f = glare(f, (640 + rng.uniform(-20, 20), 360 + rng.uniform(-20, 20)), 300, 45)
        else:
            f = place(scene(rng), render(text), (640, 360), 160, skew=0.05)
            f = cv2.GaussianBlur(f, (0, 0), 1.25)
        pipeline += [c.text for c in decoder.decode(f)] == [text]
        plain += any(c.text == text for c in decode_zxing(f))
    # Hard cases on purpose (zxing's plain call reads 0-2 of them): the fallbacks must
    # read most of them, not all.
    assert pipeline >= 3 and pipeline >= plain + 2, (pipeline, plain)


def test_two_badges_in_one_frame(decoder: FrameDecoder) -> None:
    a, b = badge_text(1), badge_text(2)
    f = place(scene(np.random.default_rng(1)), render(a), (330, 360), 200)
    f = place(f, render(b), (950, 360), 200, angle=15)
    assert sorted(c.text for c in decoder.decode(f)) == sorted([a, b])


def test_same_text_twice_is_one_result_unless_every_copy_is_asked_for() -> None:
    text = badge_text(7)
    f = place(scene(np.random.default_rng(2)), render(text), (330, 360), 200)
    f = place(f, render(text), (950, 360), 200)
    assert [c.text for c in FrameDecoder().decode(f)] == [text]
    assert [c.text for c in FrameDecoder(unique_text=False).decode(f)] == [text, text]


def test_foreign_url_code_comes_back_as_its_text(decoder: FrameDecoder) -> None:
    url = "https://example.org/events/2025?ref=gate-7&lang=de"
    f = place(scene(np.random.default_rng(4)), render(url), (640, 360), 200)
    assert [c.text for c in decoder.decode(f)] == [url]


def test_binary_payload_is_decoded_with_replacement(decoder: FrameDecoder) -> None:
    data = b"\xff\xfe\x00ADM\x80"
    f = place(scene(np.random.default_rng(6)), render(data), (640, 360), 160)
    assert [c.text for c in decoder.decode(f)] == [data.decode("utf-8", errors="replace")]


def _blank_frames() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(9)
    gradient = np.tile(np.linspace(40, 220, W), (H, 1)).astype(np.uint8)
    return {
        "black": np.zeros((H, W), np.uint8),
        "white": np.full((H, W), 255, np.uint8),
        "gradient": gradient,
        "scene": scene(rng),
        "dark-noisy": np.clip(scene(rng) * 0.15 + rng.normal(0, 4, (H, W)), 0, 255).astype(np.uint8),
        "white-noise": rng.integers(0, 256, (H, W), dtype=np.uint8),
        "bgr-noise": rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
    }


@pytest.mark.parametrize("name", list(_blank_frames()))
def test_frames_without_a_code_return_nothing(decoder: FrameDecoder, name: str) -> None:
    assert decoder.decode(_blank_frames()[name]) == []


GARBAGE: dict[str, object] = {
    "empty": np.array([]),
    "empty-2d": np.zeros((0, 0), np.uint8),
    "zero-height": np.zeros((0, 640), np.uint8),
    "1x1": np.zeros((1, 1), np.uint8),
    "1x1x3": np.zeros((1, 1, 3), np.uint8),
    "thin-line": np.zeros((1, 1280), np.uint8),
    "float-noise": np.random.default_rng(0).random((120, 160)),
    "float-nan-inf": np.array([[np.nan, np.inf, -np.inf] * 40] * 60, dtype=np.float32),
    "int16-negative": np.random.default_rng(0).integers(-30000, 30000, (100, 100)).astype(np.int16),
    "uint16": np.random.default_rng(0).integers(0, 65535, (100, 100)).astype(np.uint16),
    "bool": np.random.default_rng(0).random((100, 100)) > 0.5,
    "complex": np.ones((50, 50), np.complex64),
    "bgra": np.zeros((64, 64, 4), np.uint8),
    "two-channels": np.zeros((64, 64, 2), np.uint8),
    "4-d": np.zeros((2, 32, 32, 3), np.uint8),
    "1-d": np.arange(256, dtype=np.uint8),
    "non-contiguous": np.zeros((200, 300), np.uint8)[::2, ::3],
    "fortran-order": np.asfortranarray(np.zeros((100, 120, 3), np.uint8)),
    "none": None,
    "string": "not an image",
    "ragged-list": [[1, 2, 3], [4]],
    "object-array": np.array([object()] * 4),
    "datetime": np.zeros((64, 64), "datetime64[s]"),
    "structured": np.zeros((64, 64), [("a", np.uint8), ("b", np.float32)]),
    "bytes-array": np.full((64, 64), b"x"),
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_input_never_raises(decoder: FrameDecoder, name: str) -> None:
    assert decoder.decode(GARBAGE[name]) == []  # type: ignore[arg-type]


def test_float_and_16_bit_images_are_read() -> None:
    text = badge_text(21)
    f = place(scene(np.random.default_rng(8)), render(text), (640, 360), 200)
    decoder = FrameDecoder()
    assert [c.text for c in decoder.decode(f.astype(np.float32) / 255.0)] == [text]
    assert [c.text for c in decoder.decode(f.astype(np.uint16) * 257)] == [text]


def _hits(entry: dict[str, Any], codes: list[DecodedCode]) -> int:
    """score.py's rule: text equal for text sets, decoded centre inside the quad else."""
    if entry["kind"] == "text":
        return int(any(c.text.rstrip() == entry["text"].rstrip() for c in codes))
    centres = [_centre_of(c.corners) for c in codes if c.corners]
    return sum(
        any(cv2.pointPolygonTest(np.float32(q).reshape(-1, 1, 2), p, False) >= 0 for p in centres)
        for q in entry["quads"]
    )


def _centre_of(corners: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    return (sum(x for x, _ in corners) / len(corners), sum(y for _, y in corners) / len(corners))


# The corpus is the kit beside the repo; CI always has it, so only a local run may skip.
@pytest.mark.skipif(
    os.environ.get("CI") != "true" and not (CORPUS / "manifest.json").exists(),
    reason=f"no corpus at {CORPUS}",
)
def test_pipeline_reads_at_least_what_zxing_reads_on_a_corpus_subset() -> None:
    entries = json.loads((CORPUS / "manifest.json").read_text())
    # Every 9th photo: 40 images across all sets, small enough to stay fast.
    subset = sorted(entries, key=lambda e: e["image"])[::9][:40]
    decoder = FrameDecoder(unique_text=False)  # the corpus counts every printed copy
    pipeline = plain = 0
    for e in subset:
        # The labels are in the stored pixel orientation, not the EXIF-rotated one.
        img = cv2.imread(str(CORPUS / e["image"]),
                         cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
        assert img is not None, e["image"]
        pipeline += _hits(e, decoder.decode(img))
        plain += _hits(e, decode_zxing(img))
    assert len(subset) == 40
    assert pipeline >= plain
