"""Videos for Chromium's fake camera (``--use-file-for-fake-video-capture=FILE.y4m``).

Each frame carries its number in a band of 16 black/white cells across the top (bit i in
cell i; server/static/scan/js/camera.js reads it back with ``?stamps=1``), so the page can
say on which frame it decided and when that frame appeared. Chromium loops the file, so
a test uses one badge per video and a gap without a badge before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 640, 480
STAMP_BAND = 12


@dataclass(frozen=True)
class Pose:
    """How the badge is held: its QR image's size in pixels, tilt in degrees, centre."""

    size: int = 220
    tilt: float = 0.0
    centre: tuple[int, int] = (WIDTH // 2, HEIGHT // 2 + 10)


HELD = Pose(240, 4.0)
TILTED = Pose(230, 17.0, (WIDTH // 2 + 40, HEIGHT // 2))
SMALL = Pose(130, -6.0, (WIDTH // 2 - 70, HEIGHT // 2 + 30))


def _background(frame: int) -> Image.Image:
    """A desk-like scene with a little movement, so frames are not identical."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (118, 112, 104))
    draw = ImageDraw.Draw(image)
    for i in range(0, WIDTH, 40):
        shade = 100 + (i * 7 + frame * 3) % 40
        draw.rectangle([i, STAMP_BAND, i + 20, HEIGHT], fill=(shade, shade - 6, shade - 14))
    return image


def _stamp(image: Image.Image, number: int) -> None:
    draw = ImageDraw.Draw(image)
    cell = WIDTH / 16
    for bit in range(16):
        black = number >> bit & 1
        draw.rectangle([int(bit * cell), 0, int((bit + 1) * cell) - 1, STAMP_BAND - 1],
                       fill=(0, 0, 0) if black else (255, 255, 255))


def _badge_card(qr: Image.Image, pose: Pose) -> Image.Image:
    """The QR on a white card (as printed), scaled and tilted as a person holds it."""
    code = qr.convert("RGB").resize((pose.size, pose.size), Image.Resampling.NEAREST)
    margin = pose.size // 8
    card = Image.new("RGBA", (pose.size + 2 * margin, pose.size + 3 * margin), (250, 250, 246, 255))
    card.paste(code, (margin, margin))
    return card.rotate(pose.tilt, resample=Image.Resampling.BICUBIC, expand=True)


def frames(qr: Image.Image | None, pose: Pose, empty: int, shown: int) -> list[Image.Image]:
    """``empty`` frames of the scene alone, then ``shown`` frames with the badge held up."""
    card = _badge_card(qr, pose) if qr is not None else None
    out = []
    for n in range(empty + shown):
        image = _background(n)
        if card is not None and n >= empty:
            x = pose.centre[0] - card.width // 2 + (n % 3) - 1  # a hand is never still
            y = pose.centre[1] - card.height // 2
            image.paste(card, (x, y), card)
            image = image.filter(ImageFilter.GaussianBlur(0.6))  # a phone camera's softness
        _stamp(image, n)
        out.append(image)
    return out


def write_y4m(path: Path, images: list[Image.Image], fps: int = 15) -> Path:
    """Raw YUV 4:2:0 (what Chromium's file capture reads), BT.601 full range."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for image in images:
            y, u, v = image.convert("YCbCr").split()
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(u.resize((WIDTH // 2, HEIGHT // 2), Image.Resampling.BILINEAR).tobytes())
            out.write(v.resize((WIDTH // 2, HEIGHT // 2), Image.Resampling.BILINEAR).tobytes())
    return path


def badge_video(path: Path, qr: Image.Image | None, pose: Pose = HELD, *, empty: int = 24,
                shown: int = 30, fps: int = 15) -> Path:
    """One badge per video: 1.6 s without it, then 2 s in view (under the page's 3 s
    no-resubmit window, so one pass is one scan); the loop (3.6 s) brings it back as a new
    scan, as a person presenting the badge again."""
    return write_y4m(path, frames(qr, pose, empty, shown), fps)
