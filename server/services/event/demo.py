"""The demo event: a four-day international manufacturing convention, dated from today
so its badges are valid whenever someone tries them."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared import Direction

from ...extensions import db
from ...models import Attendee, Event, User, utcnow
from ..accounts import devices, users
from ..db import transactional
from ..issuing import badges
from ..people.text import search_text
from . import setup

TIMEZONE = "Asia/Shanghai"
ACTOR = "demo"
ZONES: list[tuple[str, int | None, bool]] = [  # name, capacity, re-entry allowed
    ("Opening Ceremony Hall", 1500, False),
    ("Prelude Hall", None, False),
    ("Made in China Showcase", None, False),
    ("International Exhibits", None, False),
    ("Guest-of-Honour Province", None, False),
    ("Regional Manufacturing", None, False),
    ("NEV and Drone Demonstration Area", 400, False),
    ("VIP Lounge", 150, True),
    ("Press Center", 300, True),
]
HALLS = [z[0] for z in ZONES[1:7]]
LEVELS: list[tuple[str, str, list[str], list[int], int]] = [  # name, colour, zones, days, share
    ("VIP Guest", "#b8860b", [z[0] for z in ZONES], [0, 1, 2, 3], 60),
    ("Delegate", "#1f4e79", ["Opening Ceremony Hall", *HALLS], [0, 1, 2, 3], 15),
    ("Exhibitor", "#2e7d32", HALLS, [0, 1, 2, 3], 12),
    ("Press", "#6a1b9a", ["Opening Ceremony Hall", "Press Center", *HALLS], [0, 1, 2, 3], 6),
    ("Staff", "#455a64", [z[0] for z in ZONES if z[0] != "VIP Lounge"], [0, 1, 2, 3], 5),
    ("Security", "#b71c1c", [z[0] for z in ZONES], [0, 1, 2, 3], 2),
]
NAMES = {
    "CN": ("zh", ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄晓明", "周杰", "吴芳",
                  "徐立新", "孙悦", "马建国", "朱婷", "胡志强", "郭晶晶", "林海", "何欣", "高峰", "罗琳"]),
    "SA": ("en", ["محمد العتيبي", "عبدالله القحطاني", "فاطمة الزهراني", "خالد الشمري", "نورة السبيعي"]),
    "AE": ("en", ["أحمد المنصوري", "مريم الهاشمي", "سعيد الكعبي", "ليلى النعيمي"]),
    "EG": ("en", ["عمر عبد الرحمن", "ياسمين فؤاد", "مصطفى حسن"]),
    "RU": ("en", ["Иван Петров", "Екатерина Смирнова", "Дмитрий Козлов", "Анна Волкова",
                  "Сергей Морозов", "Ольга Лебедева"]),
    "KZ": ("en", ["Нурсултан Абишев", "Айгерим Сапарова"]),
    "FR": ("en", ["François Dupont", "Hélène Lefèvre", "Jérôme Bézier", "Amélie Gauthier"]),
    "DE": ("en", ["Jürgen Müller", "Zoë Schäfer", "Björn Weiß", "Käthe Groß"]),
    "ES": ("en", ["José Martínez", "María Ibáñez", "Iñigo Peña"]),
    "PL": ("en", ["Łukasz Wójcik", "Małgorzata Kowalczyk"]),
    "VN": ("en", ["Nguyễn Văn An", "Trần Thị Hương"]),
    "BR": ("en", ["João Conceição", "Luísa Gonçalves"]),
    "US": ("en", ["Emily Johnson", "Michael O'Connor", "Sarah Williams", "David Chen"]),
    "TR": ("en", ["Ayşe Yılmaz", "Mehmet Öztürk"]),
}
ORGS = ["Sinomach Group", "Haier Smart Home", "Siemens AG", "Saudi Aramco", "Rosatom",
        "Volkswagen Group China", "BYD Auto", "DJI Innovations", "Ministry of Industry",
        "Embassy Commercial Section", "Tsinghua University", "Schneider Electric",
        "Xinhua News Agency", "Al Jazeera", "Reuters", "ABB Robotics", "CRRC Corporation"]


def _event_dates() -> tuple[dt.date, dt.date]:
    start = utcnow().astimezone(ZoneInfo(TIMEZONE)).date()
    return start, start + dt.timedelta(days=3)


def _make_event() -> Event:
    start, end = _event_dates()
    event = Event(name="International Manufacturing Convention 2026", timezone=TIMEZONE,
                  start_date=start, end_date=end, venue="National Exhibition and Convention Center",
                  practical_info="Doors open 08:30. Bring your badge and a photo ID.")
    db.session.add(event)
    db.session.flush()
    for name, capacity, reentry in ZONES:
        setup.create_zone(event, name, capacity, reentry, actor=ACTOR)
    for name, *_ in ZONES:
        setup.create_gate(event, f"{name} Entrance", name, Direction.IN, actor=ACTOR)
        setup.create_gate(event, f"{name} Exit", name, Direction.OUT, actor=ACTOR)
    for name, colour, zones, days, _share in LEVELS:
        setup.create_level(event, name, colour, zones, days, actor=ACTOR)
    return event


def _make_attendees(event: Event, count: int) -> None:
    rng = random.Random(20261125)
    levels = {lv.name: lv for lv in setup.list_levels(event)}
    weights = [share for *_, share in LEVELS]
    countries = list(NAMES)
    for i in range(count):
        country = "CN" if i % 2 == 0 else rng.choice(countries[1:])
        language, names = NAMES[country]
        name = rng.choice(names)
        org = rng.choice(ORGS)
        level = levels[rng.choices([lv[0] for lv in LEVELS], weights)[0]]
        email = f"guest{i + 1:05d}@convention.example"
        db.session.add(Attendee(
            event_id=event.id, name=name, email=email, organization=org, country=country,
            language=language, access_level_id=level.id, access_level=level,
            search_text=search_text(name, org, email),
        ))
    db.session.flush()


DEMO_USERS = (("admin@admit.local", "admin"), ("security@admit.local", "security"))
RESET_HINT = ("reset a password: flask --app server set-password --email E [--password P]; "
              "a new gate token: flask --app server create-token --role gate")


def _missing_users() -> list[tuple[str, str]]:
    known = set(db.session.scalars(select(User.email).where(
        User.email.in_([email for email, _ in DEMO_USERS]))))
    return [(email, role) for email, role in DEMO_USERS if email not in known]


def seed(count: int) -> list[str]:
    """Create the demo once. Later runs keep data, logins and devices (a restart must not
    log everyone out or pile up devices) and say how to reset a password instead."""
    lines: list[str] = []
    event = db.session.scalars(select(Event).order_by(Event.id).limit(1)).first()
    if event is None:
        event = _build(count)
        issued = badges.issue_all(event, actor=ACTOR, reissue=False)
        lines.append(f"demo event created: {event.name}, {event.start_date} to {event.end_date}, "
                     f"{issued} attendees with badges")
        first_run = True
    else:
        lines.append(f"the demo exists: {event.name} ({event.start_date} to {event.end_date}); "
                     "data, logins and devices are kept")
        first_run = False
    for email, role in _missing_users():
        password = secrets.token_urlsafe(9)
        users.upsert(email, password, role, actor=ACTOR)
        lines.append(f"{role} login: {email} / {password}")
    if first_run:
        gate = setup.list_gates(event)[0]
        _, token = devices.create(event, "demo gate laptop", "gate", None, actor=ACTOR)
        lines.append(f"gate device token (any gate, e.g. {gate.name!r}): {token}")
    else:
        lines.append(RESET_HINT)
    return lines


@transactional
def _build(count: int) -> Event:
    event = _make_event()
    _make_attendees(event, count)
    return event
