"""Upload slots: when a plan's upload schedule says its video goes public.

A track page states its slot in words ("Friday 18:00 local", "Wednesday @ 10 AM ET",
"2026-11-27"); :func:`publish_time` turns that into the next such moment, which becomes
the video's ``publishAt``. The video's metadata (title, description, tags, the checks
on ``publishAt``) is :mod:`lofi_assets.core.publishing.metadata`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_UPLOAD_TIME = time(18, 0)  # the operator's prime upload time, when a schedule names no hour

_WEEKDAYS = {
    name: n
    for n, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_ZONES = {
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern": "America/New_York",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "central": "America/Chicago",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "utc": "UTC",
    "gmt": "UTC",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "bst": "Europe/London",
}
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TIME = re.compile(r"\b(\d{1,2})(?:[:.h](\d{2}))?\s*([ap])\.?m\.?(?![a-z])|\b(\d{1,2})[:h](\d{2})\b", re.IGNORECASE)
_IANA = re.compile(r"\b[A-Z][A-Za-z_]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?\b")


def _schedule_time(text: str) -> time | None | bool:
    """The time of day a schedule names; None when it names none; False when it cannot be
    read (an hour out of range, or a number that is neither date nor time: '20h', '2nd')."""
    m = _TIME.search(text)
    rest = text[: m.start()] + " " + text[m.end() :] if m else text
    if re.search(r"\d", rest):
        return False
    if not m:
        return None
    if m.group(3):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12:
            return False
        hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0)
    else:
        hour, minute = int(m.group(4)), int(m.group(5))
    return time(hour, minute) if hour < 24 and minute < 60 else False


def _schedule_zone(text: str, default: ZoneInfo) -> ZoneInfo:
    """The zone a schedule names ('ET', 'Europe/Berlin'); ``default`` for 'local' or none."""
    if m := _IANA.search(text):
        try:
            return ZoneInfo(m.group())
        except (ZoneInfoNotFoundError, ValueError):
            pass
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _ZONES:
            return ZoneInfo(_ZONES[word])
    return default


def _schedule_weekdays(text: str) -> set[int]:
    """The weekdays a schedule names ('Friday', 'Fri', 'Fridays'); empty for none."""
    days = set()
    for word in re.findall(r"[a-z]+", text.lower()):
        if word not in _WEEKDAYS and word.endswith("s"):
            word = word[:-1]
        if word in _WEEKDAYS:
            days.add(_WEEKDAYS[word])
    return days


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """``clock`` on ``day`` in ``zone``; a wall time skipped by a DST change moves forward."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC).astimezone(zone)


def publish_time(schedule: str | None, after: datetime, tz: str) -> datetime | None:
    """The next moment after ``after`` that the plan's upload schedule names, in ``tz``.

    Reads "Friday 18:00 local", "Saturday @ 18:00", "Wednesday @ 10 AM ET", "Fridays 7:30 pm",
    "18:00" (every day), "2026-11-27 18:00" and "2026-11-27"; 'local' (or no zone) is
    ``tz``, and a zone such as 'ET' or 'Europe/Berlin' is honoured. A weekday or date
    without an hour means 18:00, the operator's prime time. Returns None for an empty or
    unreadable schedule, and for a date that is not after ``after``. ``after`` without a
    time zone is read in ``tz``."""
    try:
        local = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None
    if not schedule or not schedule.strip():
        return None
    text = schedule.strip()
    after = after.replace(tzinfo=local) if after.tzinfo is None else after
    zone = _schedule_zone(text, local)
    date_match = _DATE.search(text)
    clock = _schedule_time(_DATE.sub(" ", text))
    if clock is False:
        return None
    if date_match:
        try:
            day = date(*(int(g) for g in date_match.groups()))
        except ValueError:
            return None
        moment = _at(day, clock or DEFAULT_UPLOAD_TIME, zone)
        return moment.astimezone(local) if moment > after else None
    weekdays = _schedule_weekdays(text)
    if not weekdays and clock is None:
        return None
    start = after.astimezone(zone).date()
    for offset in range(8):
        day = start + timedelta(days=offset)
        if weekdays and day.weekday() not in weekdays:
            continue
        moment = _at(day, clock or DEFAULT_UPLOAD_TIME, zone)
        if moment > after:
            return moment.astimezone(local)
    return None
