"""Dates, times and numbers on the dashboard, written the way the reader's language does
(Babel's CLDR data), in the event's time zone.

English is written as in en_GB, not en_US: staff on a convention floor read a 24-hour
clock and day-month dates, and "03/04" must not be ambiguous across a room of visitors.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from flask import Flask

from ..errors import NotFound
from ..services.event import setup
from .i18n import locale_name

_FORMAT_LOCALE = {"en": "en_GB", "zh": "zh_Hans_CN"}


def _locale() -> str:
    lang = locale_name()
    return _FORMAT_LOCALE.get(lang, lang)


def local_time(value: dt.datetime | str | None, with_date: bool = True) -> str:
    """A time in the event's time zone, as staff on site read clocks."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    with contextlib.suppress(NotFound):
        value = value.astimezone(setup.event_tz(setup.current_event()))
    if with_date:
        return format_datetime(value, "medium", tzinfo=value.tzinfo, locale=_locale())
    return format_time(value, "medium", tzinfo=value.tzinfo, locale=_locale())


def local_day(value: dt.date | str | None) -> str:
    """An event day ("Tue 14 Oct" / "10月14日周二"): the weekday matters on a four-day event."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value, "EEE d MMM" if _locale() == "en_GB" else "MMMEd", locale=_locale())


def number(value: float | int | None) -> str:
    """Grouping separators per locale (1,000 in en and zh; 1 000 in fr, ru)."""
    return "—" if value is None else format_decimal(value, locale=_locale())


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local")
    app.add_template_filter(local_day, "day")
    app.add_template_filter(number, "number")


__all__ = ["init_app", "local_day", "local_time", "number"]
