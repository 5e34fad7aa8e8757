"""The post-event report as HTML (the dashboard page) and as PDF (WeasyPrint, as the
badges), in English or Chinese; charts are inline SVG from ``charts``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ....models import Event
from . import charts
from .data import BUCKET_S, STAY_BUCKET_MIN, ReportData, collect

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
LANGUAGES = ("en", "zh")
TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Post-event report", "zh": "活动总结报告"},
    "generated": {"en": "Generated", "zh": "生成时间"},
    "timezone": {"en": "Times in", "zh": "时区"},
    "summary": {"en": "Summary", "zh": "概况"},
    "attendees": {"en": "Attendees", "zh": "参会人数"},
    "no_shows": {"en": "No-shows", "zh": "未到场"},
    "scans": {"en": "Gate scans", "zh": "闸机扫描"},
    "denied": {"en": "Denied", "zh": "拒绝"},
    "conflicts": {"en": "Offline conflicts", "zh": "离线冲突"},
    "arrivals": {"en": "Arrivals per 15 minutes per gate", "zh": "各入口每15分钟入场人数"},
    "occupancy": {"en": "Occupancy per zone (peak marked)", "zh": "各区域在场人数（标注峰值）"},
    "stays": {"en": "Stay time distribution", "zh": "停留时长分布"},
    "no_show_level": {"en": "No-shows by access level", "zh": "按权限级别的未到场人数"},
    "no_show_country": {"en": "No-shows by country", "zh": "按国家/地区的未到场人数"},
    "denies": {"en": "Denies by reason", "zh": "按原因统计的拒绝"},
    "offline": {"en": "Offline share and conflicts per gate", "zh": "各闸机离线比例与冲突"},
    "people_15": {"en": "people per 15 min", "zh": "人 / 15分钟"},
    "people": {"en": "people inside", "zh": "在场人数"},
    "time": {"en": "time of day (event time)", "zh": "时间（活动当地时间）"},
    "stay_axis": {"en": "stay (minutes, 30-minute bins)", "zh": "停留时长（分钟，每30分钟一组）"},
    "stays_count": {"en": "stays", "zh": "次数"},
    "level": {"en": "access level", "zh": "权限级别"},
    "country": {"en": "country (ISO code)", "zh": "国家/地区（ISO代码）"},
    "count": {"en": "people", "zh": "人数"},
    "reason": {"en": "reason", "zh": "原因"},
    "denied_scans": {"en": "denied scans", "zh": "拒绝次数"},
    "gate": {"en": "gate", "zh": "闸机"},
    "share": {"en": "offline share (%)", "zh": "离线比例（%）"},
    "peak": {"en": "peak", "zh": "峰值"},
    "registered": {"en": "registered", "zh": "注册"},
    "day": {"en": "Day", "zh": "日期"},
    "no_data": {"en": "No scans on this day.", "zh": "当天没有扫描记录。"},
    "offline_scans": {"en": "offline scans", "zh": "离线扫描"},
    "total_scans": {"en": "scans", "zh": "扫描总数"},
}


def _t(lang: str) -> dict[str, str]:
    return {k: v.get(lang, v["en"]) for k, v in TEXT.items()}


def _charts(data: ReportData, t: dict[str, str]) -> dict[str, Any]:
    per_day = []
    for day in data.days:
        arrivals = data.arrivals.get(day, {})
        occupancy = data.occupancy.get(day, {})
        per_day.append({
            "day": day,
            "arrivals": charts.lines(arrivals, t["people_15"], t["time"]) if arrivals else None,
            "occupancy": charts.lines(occupancy, t["people"], t["time"], data.peaks.get(day, {}),
                                      t["peak"], steps=True) if occupancy else None,
            "peaks": sorted(data.peaks.get(day, {}).items()),
        })
    stays = charts.bars([str(m) for m, _ in data.stays], [c for _, c in data.stays],
                        t["stays_count"], t["stay_axis"]) if data.stays else None
    levels = charts.bars([n for n, _, _ in data.no_shows_by_level],
                         [a for _, a, _ in data.no_shows_by_level], t["count"], t["level"],
                         second=[float(r) for _, _, r in data.no_shows_by_level],
                         legend=(t["no_shows"], t["registered"])) if data.no_shows_by_level else None
    countries = charts.bars([c for c, _, _ in data.no_shows_by_country],
                            [a for _, a, _ in data.no_shows_by_country], t["count"], t["country"],
                            ) if data.no_shows_by_country else None
    denies = charts.bars([r for r, _ in data.denies], [c for _, c in data.denies],
                         t["denied_scans"], t["reason"]) if data.denies else None
    offline = charts.bars([g["gate"] for g in data.gates],
                          [round(100 * g["offline_share"], 1) for g in data.gates],
                          t["share"], t["gate"]) if data.gates else None
    return {"days": per_day, "stays": stays, "levels": levels, "countries": countries,
            "denies": denies, "offline": offline}


def render_html(event: Event, lang: str = "en", data: ReportData | None = None) -> str:
    lang = lang if lang in LANGUAGES else "en"
    data = data or collect(event)
    t = _t(lang)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template("report/event.html").render(
        data=data, t=t, lang="zh-Hans" if lang == "zh" else "en", charts=_charts(data, t),
        generated=dt.datetime.now(dt.UTC).astimezone(data.days and _tz(event) or dt.UTC),
        bucket_min=BUCKET_S // 60, stay_bin=STAY_BUCKET_MIN)


def _tz(event: Event) -> dt.tzinfo:
    from ...event import setup

    return setup.event_tz(event)


def render_pdf(event: Event, lang: str = "en") -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(event, lang), base_url=str(TEMPLATES)).write_pdf()  # type: ignore[no-any-return]
