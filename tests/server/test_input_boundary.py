"""What a client types is refused at the boundary with a 4xx, never a 500: control
characters (NUL made PostgreSQL fail), non-ASCII digits (``²``), numbers past every
bound, over-long CSV cells; the dashboard's forms refuse what the API refuses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.support.dashboard import form_post, signed_in
from tests.support.live import LiveServer

HEADER = "name,organization,country,email,language,access_level,days\n"
PASSWORD = "boundary passphrase"
CONTROL = ["\x00", "\x1b", "\r\n", "\x7f", "\x85", "\x9f"]


@pytest.fixture(scope="module")
def admin_web(live_server: LiveServer) -> Iterator[requests.Session]:
    email = f"forms{uuid.uuid4().hex[:6]}@boundary.test"
    live_server.setup_cli("create-user", "--email", email, "--password", PASSWORD, "--role", "admin")
    yield signed_in(live_server, email, PASSWORD)


def _api(server: LiveServer) -> requests.Session:
    return server.session("admin")


@pytest.mark.parametrize("char", CONTROL)
def test_control_characters_refused_in_bodies_and_queries(live_server: LiveServer, char: str) -> None:
    url, api, gate = live_server.url, _api(live_server), live_server.session("gate")
    person = {"name": f"Name{char}X", "email": f"{uuid.uuid4().hex[:8]}@example.org",
              "access_level": "Delegate"}
    assert api.post(f"{url}/api/v1/attendees", json=person, timeout=10).status_code == 422
    assert api.get(f"{url}/api/v1/attendees", params={"q": f"a{char}b"}, timeout=10).status_code == 422
    assert api.get(f"{url}/api/v1/scans", params={"gate": f"g{char}"}, timeout=10).status_code == 422
    assert api.post(f"{url}/api/v1/zones", json={"name": f"Zone{char}"}, timeout=10).status_code == 422
    scan = {"scan_id": str(uuid.uuid4()), "code": f"ADM1{char}", "gate": "1"}
    assert gate.post(f"{url}/api/v1/scans", json=scan, timeout=10).status_code == 422
    scan = {"scan_id": str(uuid.uuid4()), "code": "ADM1XYZ", "gate": f"Hall{char}"}
    assert gate.post(f"{url}/api/v1/scans", json=scan, timeout=10).status_code == 422


def test_format_characters_persian_and_arabic_names_need_stay(live_server: LiveServer) -> None:
    name = f"می\u200cخواهم {uuid.uuid4().hex[:6]} \u200d"  # ZWNJ and ZWJ (category Cf)
    body = {"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.org", "access_level": "Delegate"}
    answer = _api(live_server).post(f"{live_server.url}/api/v1/attendees", json=body, timeout=10)
    assert answer.status_code == 201 and answer.json()["name"] == name


def test_non_ascii_digits_and_huge_numbers(live_server: LiveServer) -> None:
    url, api = live_server.url, _api(live_server)
    scan = {"scan_id": str(uuid.uuid4()), "code": "ADM1XYZ", "gate": "²"}
    assert live_server.session("gate").post(f"{url}/api/v1/scans", json=scan,
                                            timeout=10).status_code == 404  # unknown_gate
    assert api.post(f"{url}/api/v1/zones", json={"name": "Sq", "capacity": "²"},
                    timeout=10).status_code == 422
    assert api.get(f"{url}/api/v1/attendees", params={"offset": "²"}, timeout=10).status_code == 422


def _import(server: LiveServer, text: str) -> requests.Response:
    return _api(server).post(f"{server.url}/api/v1/attendees/import", data=text.encode(),
                             headers={"Content-Type": "text/csv"}, timeout=60)


@pytest.mark.parametrize(("row", "field"), [
    ("Nul\x00Name,Org,FR,{e},fr,Delegate,", "name"),
    ("Esc Org,Bad\x1bOrg,FR,{e},fr,Delegate,", "organization"),
    ("Big Day,Org,FR,{e},fr,Delegate,999999999", "days"),
    ("Super Day,Org,FR,{e},fr,Delegate,²", "days"),
    ("Far Date,Org,FR,{e},fr,Delegate,9999-12-31", "days"),
    ('"{long}",Org,FR,{e},fr,Delegate,', "name"),
])
def test_csv_cells_refused_row_by_row(live_server: LiveServer, row: str, field: str) -> None:
    tag = uuid.uuid4().hex[:8]
    good = f"Good Person {tag},Org,DE,good.{tag}@example.org,de,Delegate,\n"
    bad = row.replace("{e}", f"bad.{tag}@example.org").replace("{long}", "x" * 140_000)
    answer = _import(live_server, HEADER + good + bad + "\n")
    assert answer.status_code == 422, answer.text[:300]
    errors = answer.json()["error"]["details"]["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(3, field)], errors
    found = _api(live_server).get(f"{live_server.url}/api/v1/attendees", params={"q": tag},
                                  timeout=10).json()
    assert found["total"] == 0  # the file was refused whole


def test_setup_forms_validate_like_the_api(live_server: LiveServer, admin_web: requests.Session) -> None:
    url, tag = live_server.url, uuid.uuid4().hex[:6]
    refused = [
        ("/admin/setup/levels", {"name": f"Huge {tag}", "colour": "#112233",
                                 "days": "99999999999999999999", "zones": "Exhibition Halls"}),
        ("/admin/setup/levels", {"name": f"Red {tag}", "colour": "red", "days": "1"}),
        ("/admin/setup/levels", {"name": f"Nul\x00 {tag}", "colour": "#112233", "days": "1"}),
        ("/admin/setup/zones", {"name": f"Sq {tag}", "capacity": "²"}),
        ("/admin/setup/zones", {"name": f"Nul\x00{tag}"}),
        ("/admin/setup/gates", {"name": f"G\x00{tag}", "zone": "Exhibition Halls", "direction": "in"}),
        ("/admin/setup/gates", {"name": f"G {tag}", "zone": "Exhibition Halls", "direction": "up"}),
        ("/admin/devices", {"name": f"D\x00{tag}", "role": "gate"}),
        ("/admin/users", {"email": f"x{tag}@nodot", "password": "long enough pass", "role": "admin"}),
        ("/admin/users", {"email": f"x{tag}@ok.test", "password": "qwerty123456", "role": "admin"}),
    ]
    for path, data in refused:
        answer = form_post(admin_web, live_server, path, data, "/admin/setup")
        assert answer.status_code == 302, (path, answer.status_code, answer.text[:300])
        shown = admin_web.get(url + answer.headers["Location"], timeout=10)
        assert shown.status_code == 200 and 'class="flash error"' in shown.text, (path, data)
        assert "Saved." not in shown.text
    levels = admin_web.get(f"{url}/api/v1/access-levels", timeout=10)
    assert levels.status_code == 200 and tag not in levels.text
    assert admin_web.get(f"{url}/admin/setup", timeout=10).status_code == 200
    zones = admin_web.get(f"{url}/api/v1/zones", timeout=10).json()["zones"]
    assert not [z for z in zones if tag in z["name"]]
    # The same form with good values still works.
    good = form_post(admin_web, live_server, "/admin/setup/levels",
                     {"name": f"Fine {tag}", "colour": "#336699", "days": "1,2"}, "/admin/setup")
    assert good.status_code == 302
    assert f"Fine {tag}" in admin_web.get(f"{url}/api/v1/access-levels", timeout=10).text


@pytest.mark.parametrize("query", ["page=%C2%B2", "page=99999999999999999999999", "q=a%00b",
                                   "q=%1B"])
def test_dashboard_lists_refuse_bad_queries(live_server: LiveServer,
                                            admin_web: requests.Session, query: str) -> None:
    answer = admin_web.get(f"{live_server.url}/admin/attendees?{query}", timeout=10)
    assert answer.status_code == 422
    search = admin_web.get(f"{live_server.url}/dashboard/search?{query.replace('page', 'q')}",
                           timeout=10)
    assert search.status_code == (422 if "%00" in query or "%1B" in query else 200)


def test_sign_in_with_control_characters_answers_like_a_wrong_password(
        live_server: LiveServer) -> None:
    from tests.support.dashboard import post_login

    for email in ("nul\x00@boundary.test", "esc\x1b@boundary.test"):
        answer = post_login(live_server, email, "whatever password 1")
        assert answer.status_code == 401 and "Wrong email or password" in answer.text
