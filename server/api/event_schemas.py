"""Request and response bodies of the events API and of setup edits (server-only)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from shared import Direction

_STRICT = ConfigDict(extra="forbid")
Language = str


class EventIn(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200)
    venue: str = Field(default="", max_length=300)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    start_date: dt.date
    end_date: dt.date
    languages: list[Language] = Field(default_factory=lambda: ["en"], min_length=1,
                                      max_length=6)
    practical_info: str = Field(default="", max_length=4000)
    is_default: bool = False


class EventPatch(BaseModel):
    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=200)
    venue: str | None = Field(default=None, max_length=300)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    languages: list[Language] | None = Field(default=None, min_length=1, max_length=6)
    practical_info: str | None = Field(default=None, max_length=4000)
    is_default: bool | None = None
    confirm: bool = False


class EventFull(BaseModel):
    id: int
    name: str
    venue: str
    timezone: str
    start_date: dt.date
    end_date: dt.date
    languages: list[str]
    practical_info: str
    is_default: bool
    reissued_badges: list[int] = Field(default_factory=list)


class EventList(BaseModel):
    events: list[EventFull]
    default_event: int | None


class ZonePatch(BaseModel):
    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=120)
    capacity: int | None = Field(default=None, ge=0, le=10_000_000)
    allow_reentry: bool | None = None
    active: bool | None = None


class GatePatch(BaseModel):
    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=120)
    zone: str | None = Field(default=None, min_length=1, max_length=120)
    direction: Direction | None = None
    active: bool | None = None


class LevelPatch(BaseModel):
    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=120)
    colour: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    zones: list[str] | None = Field(default=None, max_length=32)
    days: list[dt.date] | None = Field(default=None, max_length=16)
    active: bool | None = None
    confirm: bool = False


class LevelChanged(BaseModel):
    id: int
    name: str
    colour: str
    zones: list[str]
    days: list[dt.date]
    active: bool
    reissued_badges: list[int] = Field(default_factory=list)
