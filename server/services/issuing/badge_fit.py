"""Fitting badge text into fixed boxes (used by badge_pdf).

WeasyPrint has no "shrink to fit", and a badge page must never spill onto a second page,
so font sizes and line breaks are chosen here from the advance widths of the fonts the
badge CSS asks for first.
"""

from __future__ import annotations

import functools
import math
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_MM_TO_PT = 72.0 / 25.4
_LINE_HEIGHT = 1.2  # must match line-height in badge.css; the fit below relies on it
_MARK_HEADROOM = 0.3  # em


_SPACE_EM = 0.26
_WIDTH_MARGIN = 0.96  # kerning, hinting and estimates that fall short
_ARABIC_JOINING = 0.85  # joined forms run ~0.75-0.8 of the isolated widths measured


def _fc_match(family: str) -> str | None:
    try:
        out = subprocess.run(["fc-match", "-f", "%{family}|%{file}", f"{family}:bold"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, _, path = out.partition("|")
    # fc-match always answers; only a font of the family asked for has the right widths.
    return path if family in families.split(",") else None


@functools.cache
def _font_advances() -> dict[str, float]:
    """Bold advance widths (em) by character: Noto Sans, then Noto Sans Arabic.

    Bold is measured for every weight: it is never narrower, so regular text still fits.
    """
    from fontTools.ttLib import TTFont  # comes with WeasyPrint

    table: dict[str, float] = {}
    for family, scale in (("Noto Sans Arabic", _ARABIC_JOINING), ("Noto Sans", 1.0)):
        path = _fc_match(family)
        if path is None:
            continue
        with TTFont(path, lazy=True) as font:
            upem, metrics = font["head"].unitsPerEm, font["hmtx"].metrics
            table.update({chr(cp): metrics[glyph][0] / upem * scale
                          for cp, glyph in font.getBestCmap().items()})
    return table


def _advance_em(ch: str) -> float:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0
    known = _font_advances().get(ch)
    if known is not None:
        return known
    if ch.isspace():
        return _SPACE_EM
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0  # CJK ideographs and kana are square in every CJK font
    return 1.0 if ch.isupper() else 0.75  # without the fonts: generous guesses


@dataclass(frozen=True)
class _Atom:
    """A unit a line may break after: a word, or a single CJK character."""

    text: str
    em: float
    spaced: bool  # a space separates it from the atom before


def _atoms(text: str, tracking_em: float = 0.0, upper: bool = False) -> list[_Atom]:
    def em(ch: str) -> float:
        # CSS text-transform may turn one letter into two ("ß" -> "SS").
        return sum(_advance_em(c) + tracking_em for c in (ch.upper() if upper else ch))

    atoms: list[_Atom] = []
    for word in text.split():
        spaced, chunk, chunk_em = True, "", 0.0
        for ch in word:
            if unicodedata.east_asian_width(ch) in ("W", "F"):
                if chunk:
                    atoms.append(_Atom(chunk, chunk_em, spaced))
                    spaced, chunk, chunk_em = False, "", 0.0
                atoms.append(_Atom(ch, em(ch), spaced))
                spaced = False
            else:
                chunk, chunk_em = chunk + ch, chunk_em + em(ch)
        if chunk:
            atoms.append(_Atom(chunk, chunk_em, spaced))
    return atoms


def _balanced_split(atoms: Sequence[_Atom], max_lines: int) -> tuple[float, tuple[int, ...]]:
    """(widest line em, cut indices) of the split into <= max_lines whose widest is narrowest.

    Balanced lines read better on a badge than greedy ones ("Jean-Baptiste / Dupont"
    rather than "Jean-Baptiste Dupont de la / Tour"), and make the line count known here.
    """
    n = len(atoms)
    widths, spaces = [0.0], [0]
    for atom in atoms:
        widths.append(widths[-1] + atom.em)
        spaces.append(spaces[-1] + atom.spaced)

    def line_em(i: int, j: int) -> float:
        return widths[j] - widths[i] + _SPACE_EM * (spaces[j] - spaces[i + 1])

    @functools.cache
    def best(start: int, lines: int) -> tuple[float, tuple[int, ...]]:
        result: tuple[float, tuple[int, ...]] = (line_em(start, n), ())
        if lines == 1:
            return result
        for cut in range(start + 1, n):
            head = line_em(start, cut)
            if head >= result[0]:
                break  # the first line only widens from here on
            tail, cuts = best(cut, lines - 1)
            if max(head, tail) < result[0]:
                result = (max(head, tail), (cut, *cuts))
        return result

    return best(0, max_lines)


@dataclass(frozen=True)
class Fit:
    pt: float  # font size
    lines: list[str]  # where the text breaks
    rows: int  # lines the browser will draw: more than len(lines) when even min_pt is too big


def fit_text(text: str, width_mm: float, height_mm: float, max_pt: float, min_pt: float,
             max_lines: int, *, tracking_em: float = 0.0, upper: bool = False) -> Fit:
    """The largest size at which ``text`` fits the box, and its lines at that size.

    ``tracking_em`` (CSS letter-spacing) and ``upper`` (text-transform) mirror the box's CSS.
    """
    width_pt, height_pt = width_mm * _MM_TO_PT * _WIDTH_MARGIN, height_mm * _MM_TO_PT
    atoms = _atoms(text, tracking_em, upper)
    if not atoms:
        return Fit(max_pt, [], 0)
    if len(atoms) > 80:  # a runaway string: smallest size, and let the browser wrap it
        rows = math.ceil(_balanced_split(atoms, 1)[0] * min_pt / width_pt)
        return Fit(min_pt, [text], rows)
    best_pt = 0.0
    best_cuts: tuple[int, ...] = ()
    for lines in range(1, min(max_lines, len(atoms)) + 1):
        widest, cuts = _balanced_split(atoms, lines)
        # Headroom past the line boxes: Arabic dots below, Vietnamese stacked accents.
        by_height = height_pt / ((len(cuts) + 1) * _LINE_HEIGHT + _MARK_HEADROOM)
        size = min(max_pt, width_pt / max(widest, 0.01), by_height)
        if size > best_pt * 1.08:  # another line only if it buys a clearly larger name
            best_pt, best_cuts = size, cuts
    pt = max(min_pt, math.floor(min(best_pt, max_pt) * 10) / 10)
    bounds = (0, *best_cuts, len(atoms))
    parts = [atoms[i:j] for i, j in zip(bounds, bounds[1:], strict=False)]
    # Below min_pt a line may still be too wide; overflow-wrap then breaks it further.
    rows = sum(max(1, math.ceil(_balanced_split(p, 1)[0] * pt / width_pt - 0.01)) for p in parts)
    lines_text = ["".join((" " if a.spaced and i else "") + a.text for i, a in enumerate(p))
                  for p in parts]
    return Fit(pt, lines_text, rows)


