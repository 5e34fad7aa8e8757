"""QR decoding for gate camera frames: a cheap first pass, then fallbacks only when needed.

The stages and their order come from measurements on the photo corpus in
``../shared/qr-corpus`` (``bench/decoder_corpus.py`` reproduces them):

1. ``zxing``: zxing-cpp with its defaults (local-average binarizer, downscale pyramid,
   inverted codes), restricted to QR, asking for undecodable symbols as well. It reads
   most codes alone and costs ~1 ms on a 720p frame, so it is the whole cost of a frame
   that holds a readable badge. The undecodable symbols it reports ("hints") tell the
   later stages that a QR is there and where.
2. ``zxing-roi``: each hinted symbol, cropped with a margin and upscaled, read again
   (plain, unsharp-masked, then CLAHE). Small, defocused or partly washed-out codes
   come back here at the cost of a crop rather than of the whole frame.
3. ``zxing-clahe`` / ``zxing-clahe-hist``: CLAHE (local histogram equalisation) with the
   local-average and then the global-histogram binarizer. CLAHE was the single fallback
   that recovered the most codes (glare, bright spots, dark photos, blur).
4. ``zxing-median``: a 5x5 median filter, which removes print halftone, JPEG blocking
   and sensor speckle that break module sampling.
5. ``pyzbar``: a different detector altogether, as a last resort; it costs 10-60 ms, so
   it only runs when zxing saw a QR symbol that it could not decode.

Fallbacks start only while the frame is under ``max_ms`` (a stage in progress is not
interrupted), and not at all on featureless frames (lens covered, blank wall): those
cost the first pass plus one edge count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

try:
    from pyzbar import pyzbar
except (ImportError, OSError):  # libzbar missing: zxing alone still decodes
    pyzbar = None

Corners = tuple[tuple[float, float], ...]

_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
# A version 1 QR code is 21 modules; below ~1 px per module nothing can be read.
_MIN_SIDE = 21
# Fallbacks work on at most a 1080p-sized image: bigger photos cost more than the
# budget per stage and their codes are rarely too small at that size.
_MAX_WORK_PIXELS = 1920 * 1080
# zbar reads best, and with bounded cost, at moderate resolution.
_PYZBAR_MAX_SIDE = 1000
# Undecodable symbols re-read per frame: more than that is texture, not badges.
_MAX_ROI = 4
_ROI_MAX_SIDE = 1600
# Featureless-frame test: pixels (at half resolution) whose 3x3 neighbourhood spans at
# least _EDGE_STEP grey levels. Any QR code large enough to decode has hundreds; the
# darkest corpus photo has thousands, a lens cap or blank wall has none.
_EDGE_STEP = 8
_MIN_EDGE_PIXELS = 64


@dataclass(frozen=True)
class DecodedCode:
    text: str
    corners: Corners  # 4 points in frame pixel coords, () when the engine gives none
    engine: str


def _as_gray(frame: object) -> np.ndarray | None:
    """Any image-like input as a C-contiguous 2-D uint8 array, or None if it is not one."""
    try:
        img = np.asarray(frame)
    except Exception:  # objects whose __array__ fails: not an image
        return None
    if img.dtype.kind not in "biufc" or img.size == 0:  # not numbers: strings, objects
        return None
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] in (3, 4):
        img = _to_uint8(img)
        code = cv2.COLOR_BGR2GRAY if img.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        img = cv2.cvtColor(np.ascontiguousarray(img), code)
    elif img.ndim == 2:
        img = _to_uint8(img)
    else:
        return None
    if min(img.shape) < _MIN_SIDE:
        return None
    return np.ascontiguousarray(img)


def _to_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.bool_:
        return img.astype(np.uint8) * 255
    if np.issubdtype(img.dtype, np.complexfloating):
        img = np.abs(img)
    f = np.nan_to_num(img.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
    top = f.max(initial=0.0)
    # Float images conventionally hold 0..1, 16-bit ones 0..65535: stretch both to 0..255.
    if np.issubdtype(img.dtype, np.floating) and top <= 1.0:
        f = f * 255.0
    elif top > 255.0:
        f = f * (255.0 / top)
    return np.clip(f, 0, 255).astype(np.uint8)


def _resize(img: np.ndarray, k: float) -> np.ndarray:
    if k == 1.0:
        return img
    interp = cv2.INTER_AREA if k < 1.0 else cv2.INTER_CUBIC
    return cv2.resize(img, None, fx=k, fy=k, interpolation=interp)


def _unsharp(img: np.ndarray, sigma: float) -> np.ndarray:
    """Unsharp mask: restores module edges smeared by defocus or motion."""
    soft = cv2.GaussianBlur(img, (0, 0), sigma)
    return cv2.addWeighted(img, 3.0, soft, -2.0, 0)


def _barcode_text(b: zxingcpp.Barcode) -> str:
    # zxing renders raw bytes as "<NUL>"-style placeholders; the gate wants the bytes.
    if b.content_type == zxingcpp.ContentType.Binary:
        return bytes(b.bytes).decode("utf-8", errors="replace")
    return b.text


def _zx_corners(b: zxingcpp.Barcode, k: float, dx: float, dy: float) -> Corners:
    p = b.position
    return tuple(
        (dx + q.x / k, dy + q.y / k)
        for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
    )


def _zxing(
    img: np.ndarray, engine: str, *, k: float = 1.0, dx: float = 0.0, dy: float = 0.0,
    hints: list[Corners] | None = None,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
) -> list[DecodedCode]:
    """zxing-cpp on ``img`` (frame scaled by ``k``, offset by dx, dy); undecodable QR
    symbols go to ``hints`` when given."""
    try:
        found = zxingcpp.read_barcodes(
            img, formats=_QR, binarizer=binarizer, return_errors=hints is not None
        )
    except Exception:  # native code: a frame it rejects just has no code
        return []
    out = []
    for b in found:
        corners = _zx_corners(b, k, dx, dy)
        if b.valid:
            out.append(DecodedCode(_barcode_text(b), corners, engine))
        elif hints is not None:
            hints.append(corners)
    return out


def _pyzbar(img: np.ndarray, engine: str, k: float = 1.0) -> list[DecodedCode]:
    if pyzbar is None:
        return []
    try:
        found = pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE])
    except Exception:  # native code: a frame it rejects just has no code
        return []
    out = []
    for r in found:
        pts = np.array([(p.x, p.y) for p in r.polygon], dtype=np.float32) / k
        if len(pts) >= 3 and len(pts) != 4:
            pts = np.asarray(cv2.boxPoints(cv2.minAreaRect(pts)))  # zbar may give a hull
        corners = tuple((float(x), float(y)) for x, y in pts) if len(pts) == 4 else ()
        out.append(DecodedCode(r.data.decode("utf-8", errors="replace"), corners, engine))
    return out


def decode_zxing(gray: np.ndarray) -> list[DecodedCode]:
    """Baseline: zxing-cpp with all its default options (every format), no fallbacks."""
    img = _as_gray(gray)
    if img is None:
        return []
    try:
        found = zxingcpp.read_barcodes(img)
    except Exception:
        return []
    return [DecodedCode(_barcode_text(b), _zx_corners(b, 1.0, 0, 0), "zxing") for b in found]


def decode_pyzbar(gray: np.ndarray) -> list[DecodedCode]:
    """Baseline: pyzbar with its default options (every symbology), no fallbacks."""
    img = _as_gray(gray)
    if img is None or pyzbar is None:
        return []
    try:
        found = pyzbar.decode(img)
    except Exception:
        return []
    return [
        DecodedCode(
            r.data.decode("utf-8", errors="replace"),
            tuple((float(p.x), float(p.y)) for p in r.polygon),
            "pyzbar",
        )
        for r in found
    ]


def _centre(corners: Corners) -> tuple[float, float]:
    return (
        sum(x for x, _ in corners) / len(corners),
        sum(y for _, y in corners) / len(corners),
    )


def _inside(pt: tuple[float, float], poly: Corners) -> bool:
    if len(poly) < 3:
        return False
    contour = np.array(poly, dtype=np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(pt[0]), float(pt[1])), False) >= 0


def _same_code(a: DecodedCode, b: DecodedCode) -> bool:
    """Same physical code: same text, and neither has a place that tells them apart."""
    if a.text != b.text:
        return False
    if not a.corners or not b.corners:
        return True
    return _inside(_centre(a.corners), b.corners) or _inside(_centre(b.corners), a.corners)


def _has_edges(gray: np.ndarray) -> bool:
    half = cv2.resize(
        gray, (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2)),
        interpolation=cv2.INTER_AREA,
    )
    spread = cv2.morphologyEx(half, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    return cv2.countNonZero(cv2.threshold(spread, _EDGE_STEP - 1, 255, cv2.THRESH_BINARY)[1]) \
        >= _MIN_EDGE_PIXELS


class _Frame:
    """One frame's decoding state: what was read, which hinted symbols are unread."""

    def __init__(self, gray: np.ndarray) -> None:
        self.gray = gray
        self.hints: list[Corners] = []
        self.found: list[DecodedCode] = []
        self.k = min(1.0, (_MAX_WORK_PIXELS / gray.size) ** 0.5)  # work image scale
        # A CLAHE object keeps scratch buffers: one per frame keeps decoders thread-safe.
        self.clahe_op = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        self._work: np.ndarray | None = None
        self._clahe: np.ndarray | None = None

    def add(self, codes: Sequence[DecodedCode]) -> None:
        for c in codes:
            if not any(_same_code(c, f) for f in self.found):
                self.found.append(c)

    def pending(self) -> list[Corners]:
        """Hinted symbols that no decoded code covers."""
        return [
            h for h in self.hints
            if not any(f.corners and _inside(_centre(h), f.corners) for f in self.found)
        ]

    def done(self) -> bool:
        return bool(self.found) and not self.pending()

    @property
    def work(self) -> np.ndarray:
        if self._work is None:
            self._work = _resize(self.gray, self.k)
        return self._work

    @property
    def clahe(self) -> np.ndarray:
        if self._clahe is None:
            self._clahe = self.clahe_op.apply(self.work)
        return self._clahe


class FrameDecoder:
    """Decodes the QR codes in camera frames; see the module docstring for the stages.

    ``unique_text=False`` keeps every printed copy of the same text (for scoring a photo
    corpus code by code); the gate wants one result per text.
    """

    def __init__(self, *, max_ms: float = 60.0, unique_text: bool = True) -> None:
        self.max_ms = max_ms
        self.unique_text = unique_text
        self._fallbacks: tuple[Callable[[_Frame], list[DecodedCode]], ...] = (
            self._roi, self._clahe_local, self._clahe_hist, self._median, self._zbar,
        )

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        """The QR codes in a BGR(A) or grayscale frame; [] for anything unreadable."""
        # CPU time of this thread, not wall time: the budget bounds the decoder's own work,
        # so other busy processes on the device do not change what a frame decodes to.
        start = time.thread_time()
        gray = _as_gray(frame)
        if gray is None:
            return []
        st = _Frame(gray)
        st.add(_zxing(gray, "zxing", hints=st.hints))
        if st.done() or (not st.hints and not st.found and not _has_edges(gray)):
            return self._result(st)
        for stage in self._fallbacks:
            if (time.thread_time() - start) * 1000.0 >= self.max_ms:
                break
            st.add(stage(st))
            if st.done():
                break
        return self._result(st)

    def _result(self, st: _Frame) -> list[DecodedCode]:
        if not self.unique_text:
            return list(st.found)
        seen: dict[str, DecodedCode] = {}
        for c in st.found:
            seen.setdefault(c.text, c)
        return list(seen.values())

    def _roi(self, st: _Frame) -> list[DecodedCode]:
        out: list[DecodedCode] = []
        h, w = st.gray.shape
        for quad in st.pending()[:_MAX_ROI]:
            if any(c.corners and _inside(_centre(quad), c.corners) for c in out):
                continue  # another hint on the same code already read it
            xs = [x for x, _ in quad]
            ys = [y for _, y in quad]
            # A hint can be a fragment of the symbol (a wrong version guess), so the crop
            # reaches a full hint size beyond it on every side.
            margin = max(max(xs) - min(xs), max(ys) - min(ys)) + 16
            x0, x1 = int(max(0, min(xs) - margin)), int(min(w, max(xs) + margin))
            y0, y1 = int(max(0, min(ys) - margin)), int(min(h, max(ys) + margin))
            if x1 - x0 < _MIN_SIDE or y1 - y0 < _MIN_SIDE:
                continue
            crop = st.gray[y0:y1, x0:x1]
            # Twice the size gives the binarizer more than one pixel per module edge.
            k = min(2.0, _ROI_MAX_SIDE / max(crop.shape))
            big = _resize(crop, k)
            for variant in (big, _unsharp(big, 1.5 * k), st.clahe_op.apply(big)):
                codes = _zxing(variant, "zxing-roi", k=k, dx=x0, dy=y0)
                if codes:
                    out += codes
                    break
        return out

    def _clahe_local(self, st: _Frame) -> list[DecodedCode]:
        return _zxing(st.clahe, "zxing-clahe", k=st.k)

    def _clahe_hist(self, st: _Frame) -> list[DecodedCode]:
        return _zxing(
            st.clahe, "zxing-clahe-hist", k=st.k,
            binarizer=zxingcpp.Binarizer.GlobalHistogram,
        )

    def _median(self, st: _Frame) -> list[DecodedCode]:
        return _zxing(cv2.medianBlur(st.work, 5), "zxing-median", k=st.k)

    def _zbar(self, st: _Frame) -> list[DecodedCode]:
        if not st.hints:
            return []
        k = min(1.0, _PYZBAR_MAX_SIDE / max(st.gray.shape))
        return _pyzbar(_resize(st.gray, k), "pyzbar", k)
