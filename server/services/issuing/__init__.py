"""Badges: issuing, reissuing and revoking them (``badges``), the Ed25519 signing keys
(``keys``), and the printable badge (``badge_pdf``, with text fitting in ``badge_fit``)."""
