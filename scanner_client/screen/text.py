"""Text in any script, drawn by Pillow with libraqm (shaping, bidi) and a per-script font
fallback: no one font holds Chinese, Arabic, Cyrillic and accented Latin, and OpenCV's
own text drawing shapes none of them."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

_FONT_DIRS = [Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto")]
# (file, collection index); CJK index 2 is Simplified Chinese in Noto's .ttc
_FACES = {
    ("latin", False): ("NotoSans-Regular.ttf", 0),
    ("latin", True): ("NotoSans-Bold.ttf", 0),
    ("arabic", False): ("NotoSansArabic-Regular.ttf", 0),
    ("arabic", True): ("NotoSansArabic-Bold.ttf", 0),
    ("cjk", False): ("NotoSansCJK-Regular.ttc", 2),
    ("cjk", True): ("NotoSansCJK-Bold.ttc", 2),
}


def _find(name: str) -> Path | None:
    for folder in _FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    return None


@lru_cache(maxsize=64)
def font(script: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name, index = _FACES[(script, bold)]
    path = _find(name) or _find(_FACES[("latin", bold)][0])
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size, index=index if path.name == name else 0,
                              layout_engine=ImageFont.Layout.RAQM)


def script_of(ch: str) -> str | None:
    """The font family a character needs; None for neutral characters (spaces, digits,
    punctuation) that join whichever run they sit in."""
    code = ord(ch)
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if (0x3000 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x2FFFF):
        return "cjk"
    if unicodedata.category(ch)[0] == "L":
        return "latin"  # Noto Sans covers Latin, accents, Greek, Cyrillic, Vietnamese
    return None


def runs(text: str) -> list[tuple[str, str]]:
    """Split into (script, text) runs; neutral characters stay with the run before them."""
    out: list[tuple[str, str]] = []
    for ch in text:
        script = script_of(ch)
        if out and (script is None or script == out[-1][0]):
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((script or "latin", ch))
    return out


def measure(text: str, size: int, bold: bool = False) -> tuple[int, int]:
    width = 0
    for script, part in runs(text):
        width += int(font(script, size, bold).getlength(part))
    return width, int(size * 1.35)


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int,
              fill: str | tuple[int, int, int], bold: bool = False, anchor_center: bool = False
              ) -> int:
    """Draw ``text`` at ``xy`` (its top-left, or its top-centre with ``anchor_center``) and
    return the lowest y its ink reaches (Arabic dots hang far below Latin descenders, so
    the next line goes below the ink, not a fixed line height).
    A line whose first strong character is Arabic runs right to left as a whole."""
    parts = runs(text)
    rtl = bool(parts) and parts[0][0] == "arabic"
    if rtl:
        parts = list(reversed(parts))
    width, _ = measure(text, size, bold)
    x = xy[0] - width // 2 if anchor_center else xy[0]
    bottom = xy[1] + size
    for script, part in parts:
        f = font(script, size, bold)
        draw.text((x, xy[1]), part, font=f, fill=fill)
        bottom = max(bottom, xy[1] + int(f.getbbox(part)[3]))
        x += int(f.getlength(part))
    return bottom


def fit_size(text: str, max_width: int, size: int, bold: bool = False, minimum: int = 14) -> int:
    while size > minimum and measure(text, size, bold)[0] > max_width:
        size = int(size * 0.9)
    return size


def blank(width: int, height: int, colour: str | tuple[int, int, int]) -> Image.Image:
    return Image.new("RGB", (width, height), colour)
