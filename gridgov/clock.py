"""What day it is in the district. The server may run on UTC while the district lives in
Asia/Shanghai: near midnight the two dates differ, and every rule that says "today" (capture
windows, residence dates, cells in force, statistics, code tables) must mean the district's."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_ZONE)


def configure(zone: str) -> None:
    """Set the district's time zone (the app factory does, from GRIDGOV_TIMEZONE)."""
    global _zone
    _zone = ZoneInfo(zone)


def district_today(now: datetime | None = None) -> date:
    """Today's date in the district (of `now`, an aware datetime, if given)."""
    return (now or datetime.now(_zone)).astimezone(_zone).date()
