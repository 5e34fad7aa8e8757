"""QR images decode to the badge code; private keys are encrypted at rest when asked."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from cryptography.fernet import Fernet
from PIL import Image

from scanner_client.decoder import FrameDecoder
from server.extensions import db
from server.models import SigningKeyRecord
from tests.support.factories import new_badge, qr_png, scan
from tests.support.inproc import AppServer


def test_qr_png_and_svg_carry_the_code(app_server: AppServer) -> None:
    badge = new_badge(app_server)
    sec = app_server.session("security")
    frame = np.asarray(Image.open(io.BytesIO(qr_png(app_server, badge.badge_id))).convert("L"))
    assert [c.text for c in FrameDecoder().decode(frame)] == [badge.code]
    svg = sec.get(f"{app_server.url}/api/v1/badges/{badge.badge_id}/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    pdf = sec.get(f"{app_server.url}/api/v1/badges/{badge.badge_id}/badge.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"


def test_private_keys_encrypted_at_rest(tmp_path: Path) -> None:
    fernet_key = Fernet.generate_key().decode()
    server = AppServer("sqlite", tmp_path, attendees=3, env={"KEY_ENCRYPTION_KEY": fernet_key})
    server.start()
    try:
        badge = new_badge(server)
        assert scan(server, badge.code, "Prelude Hall Entrance")["reason"] == "ok"
        with server.app.app_context():
            record = db.session.query(SigningKeyRecord).one()
            assert record.encrypted and len(record.private_key) > 32
            assert Fernet(fernet_key).decrypt(record.private_key)  # opens with the key
        assert "issued" in server.cli("issue-badges", "--reissue")  # same key: works
        # The same database opened with another key: refused, not garbage signatures.
        other = AppServer("sqlite", tmp_path,
                          env={"KEY_ENCRYPTION_KEY": Fernet.generate_key().decode()})
        other.start(seed=False)
        try:
            with pytest.raises(RuntimeError, match="does not open the signing key"):
                other.cli("issue-badges", "--reissue")
        finally:
            other.stop()
    finally:
        server.stop()
