"""Dashboard forms go through the API's own pydantic schemas: a value the API refuses,
the dashboard refuses too, with the same words, shown on the page it came from."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.masks import MAX_DAYS
from shared.schemas import CleanStr

from ..api.registry import validation_details
from ..errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        raise ValidationFailed(
            "; ".join(f"{d['field']}: {d['message']}" for d in details), details=details
        ) from exc


def text(value: str | None) -> str | None:
    """An empty form field means "not given", as a missing JSON key does."""
    value = (value or "").strip()
    return value or None


class ListQuery(BaseModel):
    """``?q=`` and ``?page=`` of the dashboard's lists."""

    q: CleanStr = Field(default="", max_length=200)
    page: int = Field(default=0, ge=0, le=1_000_000)


class NoteForm(BaseModel):
    """A reason or note typed by staff (revoke, override, acknowledge)."""

    model_config = ConfigDict(extra="ignore")
    reason: CleanStr = Field(default="", max_length=500)


DayNumber = Annotated[int, Field(ge=1, le=MAX_DAYS)]


class LevelDays(BaseModel):
    days: list[DayNumber] = Field(max_length=MAX_DAYS)


def day_numbers_to_dates(start: dt.date, raw: str) -> list[dt.date]:
    """``1,2`` (1 = the event's first day) as dates; out of range is refused, not a 500."""
    numbers = parse(LevelDays, {"days": [p.strip() for p in raw.split(",") if p.strip()]}).days
    return [start + dt.timedelta(days=n - 1) for n in numbers]
