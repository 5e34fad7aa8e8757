"""QR images decode to the badge code; private keys are encrypted at rest when asked."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from cryptography.fernet import Fernet
from PIL import Image

from scanner_client.decoder import FrameDecoder
from server import create_app
from server.extensions import db
from server.models import SigningKeyRecord
from tests.support.factories import new_badge
from tests.support.live import LiveServer


def test_qr_png_and_svg_carry_the_code(live_server: LiveServer) -> None:
    badge = new_badge(live_server)
    sec = live_server.session("security")
    png = sec.get(f"{live_server.url}/api/v1/badges/{badge.badge_id}/qr.png")
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    frame = np.asarray(Image.open(io.BytesIO(png.content)).convert("L"))
    assert [c.text for c in FrameDecoder().decode(frame)] == [badge.code]
    svg = sec.get(f"{live_server.url}/api/v1/badges/{badge.badge_id}/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    pdf = sec.get(f"{live_server.url}/api/v1/badges/{badge.badge_id}/badge.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"


def test_private_keys_encrypted_at_rest(tmp_path: Path) -> None:
    fernet_key = Fernet.generate_key().decode()
    server = LiveServer("sqlite", attendees=3, env={"KEY_ENCRYPTION_KEY": fernet_key})
    try:
        server.start()
        badge = new_badge(server)
        scan = server.session("gate").post(f"{server.url}/api/v1/scans", json={
            "scan_id": "00000000-0000-4000-8000-000000000001", "code": badge.code,
            "gate": "Prelude Hall Entrance"}).json()
        assert scan["reason"] == "ok"
        app = create_app({"SQLALCHEMY_DATABASE_URI": server.database_url,
                          "INSTANCE_PATH": str(server.instance)})
        with app.app_context():
            record = db.session.query(SigningKeyRecord).one()
            assert record.encrypted and len(record.private_key) > 32
            assert Fernet(fernet_key).decrypt(record.private_key)  # opens with the key
            db.engine.dispose()
        wrong = server.cli("issue-badges", "--reissue", check=False)
        assert "issued" in wrong  # same key configured in the CLI: works
        other = dict(server.env, KEY_ENCRYPTION_KEY=Fernet.generate_key().decode())
        import subprocess
        import sys

        from tests.support.live import ROOT

        proc = subprocess.run([sys.executable, "-m", "flask", "--app", "server", "issue-badges",
                               "--reissue"], cwd=ROOT, env=other, capture_output=True, text=True)
        assert proc.returncode != 0 and "does not open the signing key" in proc.stdout + proc.stderr
    finally:
        server.stop()
