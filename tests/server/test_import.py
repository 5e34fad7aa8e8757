"""CSV import: all rows valid or nothing written, with a report per row."""

from __future__ import annotations

import uuid

from tests.support.inproc import AppServer

HEADER = "name,organization,country,email,language,access_level,days,external_id\n"


def _post(server: AppServer, text: str, bom: bool = False) -> tuple[int, dict]:  # type: ignore[type-arg]
    data = ("\ufeff" + text if bom else text).encode("utf-8")
    resp = server.session("admin").post(f"{server.url}/api/v1/attendees/import", data=data,
                                        headers={"Content-Type": "text/csv"})
    return resp.status_code, resp.json()


def _count(server: AppServer, q: str) -> int:
    return int(server.session("admin").get(f"{server.url}/api/v1/attendees",
                                           params={"q": q}).json()["total"])


def test_bad_rows_refuse_the_whole_file(app_server: AppServer) -> None:
    tag = uuid.uuid4().hex[:8]
    rows = [
        f"Ольга {tag},Rosatom,RU,olga.{tag}@example.org,ru,VIP Guest,all,",
        f"Bad Email {tag},X,FR,not-an-email,fr,Delegate,,",
        f"Wrong Level {tag},X,FR,w.{tag}@example.org,fr,Astronaut,,",
        f"Wrong Day {tag},X,FR,d.{tag}@example.org,fr,Delegate,9,",
        f",X,FR,n.{tag}@example.org,fr,Delegate,,",
    ]
    status, body = _post(app_server, HEADER + "\n".join(rows) + "\n")
    assert status == 422 and body["error"]["code"] == "import_rejected"
    errors = {(e["row"], e["field"]) for e in body["error"]["details"]["errors"]}
    # One error per bad row, none for the good row 2 (row 1 is the header).
    assert errors == {(3, "email"), (4, "access_level"), (5, "days"), (6, "name")}
    assert _count(app_server, tag) == 0  # nothing half imported


def test_import_with_bom_then_upsert_by_external_id(app_server: AppServer) -> None:
    tag = uuid.uuid4().hex[:8]
    text = HEADER + "\n".join([
        f"خالد الشمري {tag},Saudi Aramco,SA,k.{tag}@example.org,ar,VIP Guest,1;2,EXT-{tag}-1",
        f"José Ibáñez {tag},Siemens AG,ES,j.{tag}@example.org,es,Exhibitor,,EXT-{tag}-2",
    ]) + "\n"
    status, body = _post(app_server, text, bom=True)
    assert status == 200, body
    assert (body["created"], body["updated"]) == (2, 0)
    changed = text.replace(f"k.{tag}@example.org", f"khalid.{tag}@example.org")
    status, body = _post(app_server, changed)
    assert status == 200 and (body["created"], body["updated"]) == (0, 2)
    found = app_server.session("admin").get(f"{app_server.url}/api/v1/attendees",
                                             params={"q": f"khalid.{tag}"}).json()["attendees"]
    assert len(found) == 1 and len(found[0]["days"]) == 2
    assert _count(app_server, f"jose ibanez {tag}") == 1


def test_not_utf8_and_missing_columns(app_server: AppServer) -> None:
    resp = app_server.session("admin").post(f"{app_server.url}/api/v1/attendees/import",
                                             data="name,email\nJos\xe9,x@y.org\n".encode("latin-1"))
    assert resp.status_code == 422 and "UTF-8" in resp.json()["error"]["message"]
    status, body = _post(app_server, "name,email\nA,a@example.org\n")
    assert status == 422 and "access_level" in body["error"]["message"]
