"""End to end through the real CLI, the real decoder and a real server: badges rendered
by the server, distorted as a camera sees them, in an image folder."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import segno

from tests.support.factories import new_badge, qr_png, revoke
from tests.support.gate import run_gate
from tests.support.live import LiveServer


def server_qr(server: LiveServer, badge_id: int) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(qr_png(server, badge_id), np.uint8), cv2.IMREAD_GRAYSCALE)
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def scene(background: int = 110) -> np.ndarray:
    rng = np.random.default_rng(7)
    frame = np.full((720, 1280, 3), background, np.uint8)
    return np.clip(frame + rng.normal(0, 6, frame.shape), 0, 255).astype(np.uint8)


def place(frame: np.ndarray, qr: np.ndarray, size: int, x: int, y: int) -> np.ndarray:
    frame[y : y + size, x : x + size] = cv2.resize(qr, (size, size), interpolation=cv2.INTER_AREA)
    return frame


def perspective(qr: np.ndarray) -> np.ndarray:
    h, w = qr.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[470, 170], [820, 220], [790, 560], [440, 520]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(qr, matrix, (1280, 720), dst=scene(), borderMode=cv2.BORDER_TRANSPARENT)


def blurred(qr: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(place(scene(), qr, 360, 460, 180), (7, 7), 1.6)


def glare(qr: np.ndarray) -> np.ndarray:
    frame = place(scene(), qr, 380, 450, 170).astype(np.float32)
    yy, xx = np.mgrid[0:720, 0:1280]
    spot = np.exp(-(((xx - 560) / 110.0) ** 2 + ((yy - 260) / 80.0) ** 2)) * 120
    return np.clip(frame + spot[..., None], 0, 255).astype(np.uint8)


def small(qr: np.ndarray) -> np.ndarray:
    return place(scene(), qr, 170, 900, 420)  # about 4 px per module


def phone_screen(qr: np.ndarray) -> np.ndarray:
    frame = scene(60)
    cv2.rectangle(frame, (500, 80), (800, 650), (15, 15, 15), thickness=-1)  # the phone
    screen = cv2.resize(qr, (260, 260), interpolation=cv2.INTER_AREA).astype(np.float32)
    screen = screen * 0.75 + 40  # an emitting screen: greyish blacks, dimmed whites
    screen[..., 0] += 20  # blue cast
    frame[220:480, 520:780] = np.clip(screen, 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(frame, (3, 3), 0.8)


def test_distorted_badges_decide_end_to_end(gate_server: LiveServer, tmp_path: Path) -> None:
    badges = [new_badge(gate_server) for _ in range(6)]
    revoke(gate_server, badges[5].badge_id)
    qrs = [server_qr(gate_server, b.badge_id) for b in badges]
    foreign = io.BytesIO()
    segno.make("https://example.com/not-a-badge", error="m").save(foreign, kind="png", scale=10)
    foreign_qr = cv2.imdecode(np.frombuffer(foreign.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    frames = [
        ("01-perspective", perspective(qrs[0])),
        ("02-blur", blurred(qrs[1])),
        ("03-glare", glare(qrs[2])),
        ("04-small", small(qrs[3])),
        ("05-phone", phone_screen(qrs[4])),
        ("06-again", blurred(qrs[0])),
        ("07-revoked", perspective(qrs[5])),
        ("08-foreign", place(scene(), foreign_qr, 360, 460, 180)),
        ("09-blank", scene()),
    ]
    folder = tmp_path / "frames"
    folder.mkdir()
    for name, frame in frames:
        cv2.imwrite(str(folder / f"{name}.png"), frame)
    lines = run_gate(gate_server.url, gate_server.tokens["gate"], str(folder), tmp_path / "gate")
    got = [(line["verdict"], line["reason"], line.get("badge_id")) for line in lines]
    ids = [b.badge_id for b in badges]
    assert got == [
        ("admit", "ok", ids[0]), ("admit", "ok", ids[1]), ("admit", "ok", ids[2]),
        ("admit", "ok", ids[3]), ("admit", "ok", ids[4]),
        ("deny", "already_inside", ids[0]), ("deny", "revoked", ids[5]),
        ("deny", "not_a_badge", None),
    ]
    assert all(line["mode"] == "online" for line in lines)
    assert [line.get("name") for line in lines[:5]] == [b.name for b in badges[:5]]
