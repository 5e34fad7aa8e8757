"""Badge PDFs, read back the way a printer and a gate scanner would see them."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import string
import subprocess
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from server.services.issuing.badge_pdf import (
    LAYOUTS,
    BadgePrint,
    contrast_text,
    country_name,
    fit_text,
    normalise_language,
    qr_code,
    render_badges_pdf,
)
from tests.support.tools import artifact, require

DAYS = tuple(dt.date(2025, 10, 14) + dt.timedelta(days=i) for i in range(4))
ARABIC = "محمد بن عبد الله العتيبي"
CHINESE = "欧阳娜娜"
LATIN = "Zoë Ångström-Øyen"
CYRILLIC = "Александр Сергеевич Пушкин"
PT_PER_MM = 72 / 25.4

@pytest.fixture(autouse=True)
def _poppler() -> None:
    require("pdftoppm")


def token(seed: int) -> str:
    # The real tokens are base36 uppercase; 131 characters is what the signer produces.
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(131))


def badge(name: str, seed: int, **kw: object) -> BadgePrint:
    fields: dict[str, object] = {
        "name": name,
        "organization": "Siemens AG",
        "country": "DE",
        "access_level": "VIP",
        "level_colour": "#C9A227",
        "zones": ("Main Hall", "VIP Lounge"),
        "days": DAYS,
        "badge_number": f"{100000 + seed:06d}-{seed % 10}",
        "qr_text": token(seed),
        "event_name": "World Manufacturing Convention 2025",
    }
    fields.update(kw)
    return BadgePrint(**fields)  # type: ignore[arg-type]


SAMPLE = [
    badge(ARABIC, 1, organization="شركة أرامكو السعودية", country="SA"),
    badge(CHINESE, 2, organization="中国石油天然气集团有限公司", country="CN",
          access_level="贵宾", level_colour="#B71C1C", zones=("主会场",), language="zh",
          event_name="世界制造业大会 2025"),
    badge(LATIN, 3, country="NO", access_level="Exhibitor", level_colour="#1565C0"),
    badge(CYRILLIC, 4, country="RU", access_level="Speaker", level_colour="#2E7D32"),
    badge("Ng Li", 5, country="SG"),
]


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, bytes]:
    return request.param, render_badges_pdf(SAMPLE, layout=request.param)


def rasterise(pdf: bytes, tmp_path: Path, dpi: int = 200) -> list[Image.Image]:
    """Pages as poppler draws them, i.e. what a print shop would get."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    src = work / "in.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(src), str(work / "page")],
                   check=True, timeout=120)
    return [Image.open(p) for p in sorted(work.glob("page-*.png"))]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_page_size_and_count_per_layout(rendered: tuple[str, bytes]) -> None:
    layout, pdf = rendered
    reader = PdfReader(io.BytesIO(pdf))
    expected = {"a6": (297.6, 419.5, 5), "4x3": (288.0, 216.0, 5), "a4-sheet": (595.3, 841.9, 2)}
    width, height, pages = expected[layout]
    assert len(reader.pages) == pages
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(width, abs=0.3)
        assert float(page.mediabox.height) == pytest.approx(height, abs=0.3)


def test_text_of_every_script_is_extractable(rendered: tuple[str, bytes]) -> None:
    _, pdf = rendered
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = squash(text)
    assert squash(CHINESE) in flat
    # Arabic comes back as presentation forms (NFKC folds them), in logical order.
    assert squash(ARABIC) in flat
    for expected in (LATIN, CYRILLIC, "Saudi Arabia", "中国", "中国石油天然气集团有限公司",
                     "Norway", "Main Hall", SAMPLE[0].badge_number):
        assert squash(expected) in flat, expected


def test_every_qr_decodes_to_its_token_at_200_dpi(
    rendered: tuple[str, bytes], tmp_path: Path
) -> None:
    layout, pdf = rendered
    found: list[str] = []
    for image in rasterise(pdf, tmp_path):
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        found.extend(c.text for c in codes)
        for code in codes:
            # Printed size with the 4-module quiet zone: scans from 30-50 cm.
            # zxing's corners are the symbol's outer edges; add the quiet zone back.
            side_px = abs(code.position.top_right.x - code.position.top_left.x)
            modules = qr_code(code.text).symbol_size(scale=1, border=0)[0]
            total_mm = side_px / 200 * 25.4 * (modules + 8) / modules
            assert 34 <= total_mm <= 44, (layout, total_mm)
    assert sorted(found) == sorted(b.qr_text for b in SAMPLE)


def test_long_names_shrink_and_wrap_but_stay_in_their_box(tmp_path: Path) -> None:
    nasty = [
        badge("Maximilian Alexander Wolfgang Friedrich-Wilhelm von Hohenzollern-Sigmaringen", 6,
              organization="Internationale Gesellschaft für Zusammenarbeit und Entwicklung der "
              "Werkzeugmaschinenindustrie e.V.", access_level="Head of Delegation (Ministerial)"),
        badge("中华人民共和国国务院国有资产监督管理委员会特别代表团团长王大明", 7, language="zh"),
        badge("عبد الرحمن بن عبد العزيز بن عبد الله بن محمد بن سعود آل سعود الفيصل", 8),
        badge("WWWWWWWWWW MMMMMMMMMM WWWWWWWWWW MMMMMMMMMM", 9,
              zones=tuple(f"Zone {c}" for c in "ABCDEFGHIJKL")),
    ]
    for layout in ("a6", "4x3"):
        pdf = render_badges_pdf(nasty, layout=layout)
        pages = rasterise(pdf, tmp_path)
        assert len(pages) == len(nasty), "a long name pushed content onto another page"
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for page, image, b in zip(doc.pages, pages, nasty, strict=True):
                (code,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
                assert code.text == b.qr_text
                pos = code.position
                scale = 72 / 200
                qx0, qx1 = pos.top_left.x * scale, pos.top_right.x * scale
                qy0, qy1 = pos.top_left.y * scale, pos.bottom_left.y * scale
                box = LAYOUTS[layout].boxes["name"]
                bx0, by0 = box.left * PT_PER_MM, box.top * PT_PER_MM
                bx1, by1 = bx0 + box.width * PT_PER_MM, by0 + box.height * PT_PER_MM
                # Each letter's baseline lies in the name's box (so nothing is pushed over
                # the organization or the QR code below it).
                in_name_box = "".join(
                    ch["text"] for ch in page.chars
                    if bx0 <= (ch["x0"] + ch["x1"]) / 2 <= bx1
                    and by0 <= page.height - ch["matrix"][5] <= by1
                )
                assert not Counter(squash(b.name)) - Counter(squash(in_name_box)), layout
                for ch in page.chars:
                    assert ch["x0"] >= 0 and ch["x1"] <= page.width + 0.5
                    assert ch["top"] >= 0 and ch["bottom"] <= page.height + 0.5
                    overlaps = ch["x1"] > qx0 and ch["x0"] < qx1 and ch["bottom"] > qy0 \
                        and ch["top"] < qy1
                    assert not overlaps, f"{ch['text']!r} printed over the QR code ({layout})"


def test_font_fit_shrinks_long_text_and_honours_limits() -> None:
    short = fit_text("Ng Li", 93, 27, 34, 9, 3)
    long = fit_text("Maximilian Alexander Wolfgang von Hohenzollern", 93, 27, 34, 9, 3)
    huge = fit_text("x" * 500, 93, 27, 34, 9, 3)
    assert short.pt == 34 and short.lines == ["Ng Li"]
    assert 9 < long.pt < 34 and 1 < len(long.lines) <= 3
    assert " ".join(long.lines) == "Maximilian Alexander Wolfgang von Hohenzollern"
    assert huge.pt == 9 and huge.rows > 1
    # Chinese breaks between characters, balanced: 6 + 6 rather than 10 + 2.
    split = fit_text("中华人民共和国国务院代表", 40, 27, 34, 9, 2)
    assert split.lines == ["中华人民共和", "国国务院代表"]


def test_helpers() -> None:
    assert contrast_text("#FFEB3B") == "#000000"
    assert contrast_text("#0D47A1") == "#ffffff"
    with pytest.raises(ValueError):
        contrast_text("gold")
    assert country_name("de", "zh") == "德国"
    assert country_name("SA") == "Saudi Arabia"
    assert country_name("QQ") == "QQ"
    assert normalise_language("zh-CN") == "zh" and normalise_language("fr") == "en"
    with pytest.raises(ValueError):
        render_badges_pdf(SAMPLE[:1], layout="letter")
    with pytest.raises(ValueError):
        render_badges_pdf([])


def test_artifacts_arabic_and_chinese(tmp_path: Path) -> None:
    """Kept PNGs for a person to look at: shaping, fonts and layout are visual facts."""
    for b, name in ((SAMPLE[0], "badge-a6.png"), (SAMPLE[1], "badge-zh.png")):
        (image,) = rasterise(render_badges_pdf([b]), tmp_path, dpi=150)
        image.save(artifact(name), optimize=True)
        (code,) = zxingcpp.read_barcodes(Image.open(artifact(name)))
        assert code.text == b.qr_text
