"""Text in any script, drawn by Pillow with libraqm (shaping, bidi) and a per-script font
fallback: no one font holds Chinese, Arabic, Cyrillic and accented Latin, and OpenCV's
own text drawing shapes none of them.

A line is cut into runs of one script; neutral characters (spaces, digits, punctuation)
stay inside a run only between two characters of that run's script and only if its font
has them. Elsewhere they form a neutral run in the Latin face: Noto Sans Arabic has no
middle dot or parentheses, so "org · level" once showed a missing-glyph box there."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont
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


@lru_cache(maxsize=16)
def _covered(script: str) -> frozenset[int]:
    """The code points the script's regular face has a glyph for (bold faces match)."""
    name, index = _FACES[(script, False)]
    path = _find(name)
    if path is None:
        return frozenset()
    face = TTCollection(str(path)).fonts[index] if path.suffix == ".ttc" else TTFont(str(path))
    return frozenset(face.getBestCmap())


def has_glyphs(script: str, text: str) -> bool:
    covered = _covered(script)
    return not covered or all(ord(ch) in covered for ch in text)


# Explicit embeddings and isolates: the run layout below does the line's direction
# itself, and no face draws these (a stray one showed as a box).
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")


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
    """Split into (script, text) runs, script "neutral" for neutral characters that sit
    between runs of two scripts, at either end, or that the run's font lacks."""
    pieces: list[tuple[str | None, str]] = []
    for ch in text.translate(_BIDI_CONTROLS):
        script = script_of(ch)
        if pieces and pieces[-1][0] == script:
            pieces[-1] = (script, pieces[-1][1] + ch)
        else:
            pieces.append((script, ch))
    out: list[tuple[str, str]] = []
    for i, (script, part) in enumerate(pieces):
        if script is None:
            before = pieces[i - 1][0] if i > 0 else None
            after = pieces[i + 1][0] if i + 1 < len(pieces) else None
            inside = before is not None and before == after and has_glyphs(before, part)
            script = before if inside and before is not None else "neutral"
        if out and out[-1][0] == script:
            out[-1] = (script, out[-1][1] + part)
        else:
            out.append((script, part))
    return out


def _face(script: str) -> str:
    return "latin" if script == "neutral" else script


def measure(text: str, size: int, bold: bool = False) -> tuple[int, int]:
    width = 0
    for script, part in runs(text):
        width += int(font(_face(script), size, bold).getlength(part))
    return width, int(size * 1.35)


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int,
              fill: str | tuple[int, int, int], bold: bool = False, anchor_center: bool = False
              ) -> int:
    """Draw ``text`` at ``xy`` (its top-left, or its top-centre with ``anchor_center``) and
    return the lowest y its ink reaches (Arabic dots hang far below Latin descenders, so
    the next line goes below the ink, not a fixed line height).
    A line whose first strong character is Arabic runs right to left as a whole."""
    parts = runs(text)
    strong = [script for script, _ in parts if script != "neutral"]
    rtl = bool(strong) and strong[0] == "arabic"
    if rtl:
        # Runs go right to left; a neutral run between them reads right to left too, its
        # brackets mirrored (each Arabic run is shaped right to left by raqm itself).
        parts = [(script, part[::-1].translate(_MIRROR) if script == "neutral" else part)
                 for script, part in reversed(parts)]
    width, _ = measure(text, size, bold)
    x = xy[0] - width // 2 if anchor_center else xy[0]
    bottom = xy[1] + size
    for script, part in parts:
        f = font(_face(script), size, bold)
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
