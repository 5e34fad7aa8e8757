"""The verdict panel and the status line as Pillow images: pure functions of what the
facade reports, so the window and the screenshot test draw exactly the same thing.

A verdict never relies on colour alone: ADMIT is a word, a tick in a circle and a
rising tone; DENY is a word, a cross in an octagon and a low buzz. A notice (input that
is not a scan: the gate's own enrolment code, "wait N s") is amber, a word and a triangle."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from ..app import GateState
from ..outcomes import GateNotice, Outcome
from .text import blank, draw_text, fit_size, measure

GREEN = (22, 120, 50)
RED = (178, 24, 32)
AMBER = (150, 96, 0)
IDLE = (40, 44, 52)
WHITE = (255, 255, 255)


def _tick_in_circle(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=WHITE, width=max(6, r // 8))
    w = max(8, r // 6)
    draw.line([(cx - r * 0.5, cy), (cx - r * 0.12, cy + r * 0.4), (cx + r * 0.55, cy - r * 0.4)],
              fill=WHITE, width=w, joint="curve")


def _cross_in_octagon(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    points = [(cx + r * math.cos(math.pi / 8 + i * math.pi / 4),
               cy + r * math.sin(math.pi / 8 + i * math.pi / 4)) for i in range(8)]
    draw.polygon(points, outline=WHITE, width=max(6, r // 8))
    d, w = r * 0.42, max(8, r // 6)
    draw.line([(cx - d, cy - d), (cx + d, cy + d)], fill=WHITE, width=w)
    draw.line([(cx - d, cy + d), (cx + d, cy - d)], fill=WHITE, width=w)


def _warning_triangle(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    points = [(cx, cy - r), (cx + r * 0.95, cy + r * 0.75), (cx - r * 0.95, cy + r * 0.75)]
    draw.polygon(points, outline=WHITE, width=max(6, r // 8))
    w = max(8, r // 6)
    draw.line([(cx, cy - r * 0.4), (cx, cy + r * 0.2)], fill=WHITE, width=w)
    draw.ellipse((cx - w // 2, cy + r * 0.4, cx + w // 2, cy + r * 0.4 + w), fill=WHITE)


def render_notice(notice: GateNotice, width: int, height: int) -> Image.Image:
    image = blank(width, height, AMBER)
    draw = ImageDraw.Draw(image)
    r = min(width, height) // 8
    cy = r + 24
    _warning_triangle(draw, width // 2, cy, r)
    word = "WAIT" if notice.kind == "rate_limited" else "NOT A BADGE"
    size = fit_size(word, width - 60, 110, bold=True)
    y = draw_text(draw, (width // 2, cy + r + 4), word, size, WHITE, bold=True,
                  anchor_center=True) + 24
    size = fit_size(notice.message, width - 60, 46)
    draw_text(draw, (width // 2, y), notice.message, size, WHITE, anchor_center=True)
    return image


def render_verdict(verdict: Outcome | None, width: int, height: int) -> Image.Image:
    if verdict is None:
        image = blank(width, height, IDLE)
        draw = ImageDraw.Draw(image)
        draw_text(draw, (width // 2, height // 2 - 40), "Show your badge", 56, WHITE,
                  anchor_center=True)
        return image
    if isinstance(verdict, GateNotice):
        return render_notice(verdict, width, height)
    admitted = verdict.admitted
    image = blank(width, height, GREEN if admitted else RED)
    draw = ImageDraw.Draw(image)
    r = min(width, height) // 8
    cy = r + 24
    (_tick_in_circle if admitted else _cross_in_octagon)(draw, width // 2, cy, r)
    word = "ADMIT" if admitted else "DENY"
    y = draw_text(draw, (width // 2, cy + r + 4), word, 120, WHITE, bold=True,
                  anchor_center=True) + 24
    message = verdict.message or verdict.reason.value
    size = fit_size(message, width - 60, 46)
    y = draw_text(draw, (width // 2, y), message, size, WHITE, anchor_center=True) + 16
    if verdict.name:
        size = fit_size(verdict.name, width - 60, 64, bold=True)
        y = draw_text(draw, (width // 2, y), verdict.name, size, WHITE, bold=True,
                      anchor_center=True) + 14
    elif verdict.badge_number:
        y = draw_text(draw, (width // 2, y), f"Badge {verdict.badge_number}", 40, WHITE,
                      anchor_center=True) + 14
    details = " · ".join(p for p in (verdict.organization, verdict.access_level) if p)
    if details:
        size = fit_size(details, width - 60, 36)
        draw_text(draw, (width // 2, y), details, size, WHITE, anchor_center=True)
    # Small print for staff: how this verdict was reached (the status bar says the mode).
    small = f"{verdict.mode} · {verdict.latency_ms:.0f} ms"
    if verdict.set_aside:
        small = "set aside (server refuses this scan) · " + small
    draw_text(draw, (width - measure(small, 16)[0] - 16, height - 30), small, 16, WHITE)
    return image


def render_status(state: GateState, width: int, height: int = 56) -> Image.Image:
    """Two lines: the gate, its mode and its queues; below, what staff must act on (the
    clock, the last error), so neither can push the other off the screen."""
    offline = state.mode == "offline"
    image = blank(width, height, (120, 80, 0) if offline else (30, 30, 30))
    draw = ImageDraw.Draw(image)
    left = f"Gate: {state.gate}   "
    left += (f"OFFLINE – deciding from cache, {state.queued} scans waiting to upload"
             if offline else f"ONLINE   queued: {state.queued}")
    if state.set_aside:
        left += f"   set aside (refused by the server): {state.set_aside}"
    notes = []
    if state.clock_warning:
        notes.append(f"CLOCK: {state.clock_note} – fix the time" if state.clock_note
                     else "CLOCK OFF by over a minute – check the time")
    if state.last_error is not None:
        notes.append(f"{state.last_error.title}: {state.last_error.message}")
    top = 4 if notes else 14
    draw_text(draw, (16, top), left, fit_size(left, width - 32, 22, bold=offline), WHITE,
              bold=offline)
    if notes:
        text = " | ".join(notes)
        draw_text(draw, (16, 31), text, fit_size(text, width - 32, 17, minimum=11), (255, 220, 120))
    return image


def compose(camera: Image.Image | None, verdict: Outcome | None, state: GateState,
            width: int = 1280, height: int = 720) -> Image.Image:
    """The whole screen: camera on the left, verdict on the right, status along the bottom."""
    screen = blank(width, height, (0, 0, 0))
    status = render_status(state, width)
    body_h = height - status.height
    cam_w = width // 2
    if camera is not None:
        cam = camera.copy()
        cam.thumbnail((cam_w, body_h))
        screen.paste(cam, ((cam_w - cam.width) // 2, (body_h - cam.height) // 2))
    screen.paste(render_verdict(verdict, width - cam_w, body_h), (cam_w, 0))
    screen.paste(status, (0, body_h))
    return screen


def render_results(results: list[dict[str, object]], width: int) -> Image.Image:
    """Name-search results over the camera pane: name, organization, badge number."""
    height = 60 + 70 * len(results)
    image = blank(width, height, (20, 20, 60))
    draw = ImageDraw.Draw(image)
    draw_text(draw, (16, 10), "Search results (check photo ID; a supervisor can admit by override)",
              20, WHITE)
    y = 50
    for row in results:
        draw_text(draw, (16, y), str(row.get("name", "")), 30, WHITE, bold=True)
        info = f"{row.get('organization', '')} · {row.get('access_level', '')} · " \
               f"badge {row.get('badge') or '-'} ({row.get('status') or 'none'})"
        draw_text(draw, (16, y + 38), info, 18, (200, 200, 255))
        y += 70
    return image


ENROL_PROMPT = "Hold the enrolment QR code up to the camera"


def render_enrolment(camera: Image.Image | None, note: str | None,
                     width: int = 1280, height: int = 720) -> Image.Image:
    """The first-start screen: camera on the left, what to do (and what went wrong with
    the last code shown, e.g. a revoked token) on the right."""
    screen = blank(width, height, IDLE)
    cam_w = width // 2
    if camera is not None:
        cam = camera.copy()
        cam.thumbnail((cam_w, height))
        screen.paste(cam, ((cam_w - cam.width) // 2, (height - cam.height) // 2))
    draw = ImageDraw.Draw(screen)
    centre = cam_w + (width - cam_w) // 2
    size = fit_size(ENROL_PROMPT, width - cam_w - 40, 40, bold=True)
    y = draw_text(draw, (centre, height // 3), ENROL_PROMPT, size, WHITE, bold=True,
                  anchor_center=True) + 24
    y = draw_text(draw, (centre, y), "(dashboard: Devices, new gate device)", 22, WHITE,
                  anchor_center=True) + 24
    if note:
        size = fit_size(note, width - cam_w - 40, 26)
        draw_text(draw, (centre, y), note, size, (255, 220, 120), anchor_center=True)
    return screen
