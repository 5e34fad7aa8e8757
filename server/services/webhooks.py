"""Webhooks (placeholder until the delivery worker lands in this module)."""

from __future__ import annotations


def scrub_payloads(attendee_ids: list[int]) -> int:
    """Queued payloads naming these people are rewritten (nothing is queued yet)."""
    return 0


def run_due(now: object) -> int:
    """Deliver what is due (nothing is subscribed yet)."""
    return 0
