"""Dates and times."""
import calendar
import time
from datetime import date, datetime, timedelta, timezone


def schedule(start_iso: str, days: int = 7) -> dict:
    start = datetime.fromisoformat(start_iso).replace(tzinfo=timezone.utc)
    slots = [(start + timedelta(days=i)).strftime("%Y-%m-%d %a") for i in range(days)]
    t0 = time.monotonic()
    weekdays = sum(1 for i in range(days) if (start + timedelta(days=i)).weekday() < 5)
    return {
        "slots": slots,
        "weekdays": weekdays,
        "leap": calendar.isleap(start.year),
        "month_days": calendar.monthrange(start.year, start.month)[1],
        "today_is_date": isinstance(date.today(), date),
        "elapsed": time.monotonic() - t0 >= 0,
        "epoch": int(start.timestamp()),
    }
