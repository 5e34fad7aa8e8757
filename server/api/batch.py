"""Parsing a batch of offline scans one scan at a time.

A batch is the gate's queue: if one scan in it fails validation and the whole batch is
refused, the gate resends it forever and the admits queued behind it never arrive. So the
envelope (``{"scans": [...]}``, at most 1,000) is checked as a whole, and each scan on
its own: the good ones are recorded, each bad one is answered in ``refused`` with its
``scan_id`` and the error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.schemas import ErrorBody, ScanBatchIn, ScanIn, ScanRefusal

from ..errors import AdmitError, ValidationFailed
from .registry import validation_details


class ParsedBatch(BaseModel):
    scans: list[ScanIn]
    refused: list[ScanRefusal] = Field(default_factory=list)


class _Envelope(BaseModel):
    """The batch as a whole; its scans one by one below. Same bounds as ScanBatchIn."""

    model_config = ConfigDict(extra="forbid")
    scans: list[Any] = Field(max_length=ScanBatchIn.model_fields["scans"].metadata[0].max_length)


def parse_batch(raw: bytes) -> ParsedBatch:
    if not raw:
        raise AdmitError("a JSON body is required", code="bad_json")
    try:
        envelope = _Envelope.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise AdmitError("the body is not valid JSON", code="bad_json") from exc
        raise ValidationFailed("the body does not match the schema",
                               details=validation_details(exc)) from exc
    parsed = ParsedBatch(scans=[])
    for item in envelope.scans:
        try:
            parsed.scans.append(ScanIn.model_validate(item))
        except ValidationError as exc:
            parsed.refused.append(ScanRefusal(scan_id=_scan_id(item), error=ErrorBody(
                code="validation_failed", message="this scan does not match the schema",
                details=validation_details(exc))))
    return parsed


def _scan_id(item: Any) -> str | None:
    value = item.get("scan_id") if isinstance(item, dict) else None
    return value[:64] if isinstance(value, str) else None
