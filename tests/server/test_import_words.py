"""The import report the real importer writes, read back in Chinese."""

from __future__ import annotations

import pytest
from flask import session

from server.services.event import setup
from server.services.people.importer import ImportRejected, import_csv
from server.web.import_words import import_field, import_message
from tests.support.inproc import AppServer

BAD_CSV = (
    b"name,email,access_level,days,external_id\n"
    b",ok@example.com,Delegate,,a1\n"  # empty name
    b"Li Lei,not-an-email,Delegate,,a2\n"
    b"Han Meimei,hm@example.com,No Such Level,,a3\n"
    b"Wang Fang,wf@example.com,Delegate,2001-01-01,a4\n"
    b"Zhao Lei,zl@example.com,Delegate,someday,a5\n"
    b"Sun Li,sl@example.com,Delegate,,a6\n"
    b"Sun Li,sl2@example.com,Delegate,,a6\n"  # duplicate external id
    b"a,b,c,d,e,f\n"  # more cells than columns
)


def _rejection(app_server: AppServer, data: bytes) -> ImportRejected:
    with app_server.app.test_request_context("/"), pytest.raises(ImportRejected) as caught:
        import_csv(setup.current_event(), data, actor="test")
    return caught.value


def test_every_row_problem_reads_in_chinese(app_server: AppServer) -> None:
    rejected = _rejection(app_server, BAD_CSV)
    errors = rejected.details["errors"]  # type: ignore[index]
    assert len(errors) >= 7
    with app_server.app.test_request_context("/"):
        session["lang"] = "zh"
        said = [import_message(e["message"]) for e in errors]
        # Every message matched a known shape: none is left in English.
        assert all(s != e["message"] for s, e in zip(said, errors, strict=True)), said
        assert any("重复" in s for s in said) and any("邮箱" in s for s in said), said
        assert "问题" in import_message(rejected.message)
        assert import_field("name") == "姓名 (name)"
        assert import_field("access_level") == "权限等级 (access_level)"
        assert import_field(None) == "—"


def test_a_missing_column_reads_in_chinese(app_server: AppServer) -> None:
    rejected = _rejection(app_server, b"name,email\nLi,li@example.com\n")
    with app_server.app.test_request_context("/"):
        session["lang"] = "zh"
        assert import_message(rejected.message) == "缺少列：access_level"
        (error,) = rejected.details["errors"]  # type: ignore[index]
        assert import_message(error["message"]) == "缺少此列"
    with app_server.app.test_request_context("/"):  # a request's language is read once
        session["lang"] = "en"  # English stays the importer's own words
        assert import_message(error["message"]) == "missing column"
