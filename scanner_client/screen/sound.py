"""Distinct admit and deny tones, generated as WAV files (no audio library needed) and
played with whatever the system offers (aplay/paplay), else the display's bell."""

from __future__ import annotations

import io
import math
import shutil
import struct
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

RATE = 16000


def tone(parts: list[tuple[float, float]], volume: float = 0.5) -> bytes:
    """(frequency Hz, seconds) segments, 0 Hz for silence, as 16-bit mono WAV bytes."""
    frames = bytearray()
    for freq, seconds in parts:
        for i in range(int(RATE * seconds)):
            # A short fade at each edge avoids clicks.
            edge = min(1.0, i / 160, (RATE * seconds - i) / 160)
            value = volume * edge * math.sin(2 * math.pi * freq * i / RATE) if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return buf.getvalue()


ADMIT_TONE = [(880.0, 0.12), (1320.0, 0.18)]  # rising two-note chime
DENY_TONE = [(220.0, 0.15), (0.0, 0.06), (220.0, 0.15), (0.0, 0.06), (220.0, 0.15)]  # low buzz x3


class Sounds:
    def __init__(self, folder: Path, bell: Callable[[], None] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.admit = folder / "admit.wav"
        self.deny = folder / "deny.wav"
        for path, parts in ((self.admit, ADMIT_TONE), (self.deny, DENY_TONE)):
            if not path.exists():
                path.write_bytes(tone(parts))
        self.player = shutil.which("paplay") or shutil.which("aplay")
        self.bell = bell

    def play(self, admitted: bool) -> None:
        if self.player:
            subprocess.Popen([self.player, str(self.admit if admitted else self.deny)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif self.bell is not None:
            self.bell()
            if not admitted:
                self.bell()
