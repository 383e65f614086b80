"""The channel's one timestamp format: ISO 8601 UTC with milliseconds and a `Z` (`2026-03-01T09:30:00.250Z`).

It sorts as text, so stored timestamps serve as sort keys too; every writer formats through `to_iso` and every
reader parses through `parse_iso`, so the format is written down once.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now_iso() -> str:
    """Now, in the channel's format."""
    return to_iso(datetime.now(UTC))


def to_iso(moment: float | datetime) -> str:
    """Epoch seconds or a datetime (naive ones are taken as UTC) in the channel's format."""
    if isinstance(moment, datetime):
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    else:
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(stamp: str) -> datetime:
    """An ISO 8601 timestamp (`Z` or an offset) as an aware datetime."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def epoch_seconds(stamp: str) -> float:
    return parse_iso(stamp).timestamp()
