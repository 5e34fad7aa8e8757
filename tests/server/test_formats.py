"""The dashboard's dates and numbers follow the chosen language (Babel), in the event's zone."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import session

from server.services.event import setup
from server.web import formats
from tests.support.inproc import AppServer

# 2025-10-14 06:05:09 UTC; the test converts to the demo event's own zone.
AT = dt.datetime(2025, 10, 14, 6, 5, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(("lang", "expect_number", "day_word"), [
    ("en", "1,234,567", "Tue"),
    ("zh", "1,234,567", "周二"),
])
def test_formats_follow_the_session_language(
    app_server: AppServer, lang: str, expect_number: str, day_word: str
) -> None:
    with app_server.app.test_request_context("/"):
        session["lang"] = lang
        local = AT.astimezone(setup.event_tz(setup.current_event()))
        text = formats.local_time(AT)
        assert local.strftime("%H:%M:%S") in text  # 24-hour clock, in the event's zone
        assert str(local.year) in text
        assert formats.local_time(AT, with_date=False) == local.strftime("%H:%M:%S")
        assert formats.number(1234567) == expect_number
        assert day_word in formats.local_day("2025-10-14")
        assert formats.local_time(None) == "—" and formats.number(None) == "—"
        if lang == "zh":
            assert "年" in text and "月" in text
        else:
            assert "Oct" in text


def test_english_dates_are_day_month(app_server: AppServer) -> None:
    with app_server.app.test_request_context("/"):
        session["lang"] = "en"
        assert formats.local_day(dt.date(2025, 10, 14)) == "Tue 14 Oct"
