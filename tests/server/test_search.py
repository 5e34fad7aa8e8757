"""Search the way staff type, over HTTP on both databases: pinyin for Chinese names, Arabic
name parts in any order, names with invisible characters."""

from __future__ import annotations

import uuid

import pytest

from server.services.people.text import fold, search_text, words
from tests.support.factories import new_attendee
from tests.support.live import LiveServer


def _found(server: LiveServer, q: str) -> list[int]:
    resp = server.session("security").get(f"{server.url}/api/v1/attendees",
                                          params={"q": q, "limit": 500}, timeout=10)
    assert resp.status_code == 200, resp.text
    return [a["id"] for a in resp.json()["attendees"]]


@pytest.mark.parametrize("q", ["wang xiaoming", "wangxiaoming", "xiaoming", "王 小明", "王小明",
                               "Xiaoming Wang", "WANG"])
def test_chinese_name_by_pinyin_and_parts(live_server: LiveServer, q: str) -> None:
    person = new_attendee(live_server, name="王小明", organization=f"Org {uuid.uuid4().hex[:6]}")
    assert person["id"] in _found(live_server, q)


@pytest.mark.parametrize("q", ["محمد العتيبي", "العتيبي محمد", "سلمان", "محمد بن سلمان العتيبي"])
def test_arabic_name_from_any_parts_in_any_order(live_server: LiveServer, q: str) -> None:
    person = new_attendee(live_server, name="محمد بن سلمان العتيبي")
    assert person["id"] in _found(live_server, q)


def test_invisible_characters_do_not_hide_a_name(live_server: LiveServer) -> None:
    tag = uuid.uuid4().hex[:6]
    person = new_attendee(live_server, name=f"Zoë\u200b Kowal\u200dczyk{tag}")
    assert person["id"] in _found(live_server, f"zoe kowalczyk{tag}")
    assert person["id"] in _found(live_server, f"kowal\u200bczyk{tag}")
    assert person["id"] not in _found(live_server, f"kowalski{tag}")


def test_fold_and_search_text() -> None:
    assert fold("Ａｌｉ\u200b أحمد") == "ali احمد"  # full-width Latin, zero-width, hamza seat
    assert "wangxiaoming" in search_text("王小明", "", "w@x.org")
    assert words(" Hélène  LEFÈVRE ") == ["helene", "lefevre"]
