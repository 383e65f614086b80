from datetime import UTC, datetime, timedelta, timezone

from smschannel.timestamps import epoch_seconds, parse_iso, to_iso, utc_now_iso


def test_the_format_has_milliseconds_and_a_z() -> None:
    assert to_iso(datetime(2026, 3, 1, 9, 30, 0, 250_999, tzinfo=UTC)) == "2026-03-01T09:30:00.250Z"
    assert to_iso(1_772_357_400.25) == "2026-03-01T09:30:00.250Z"
    assert len(utc_now_iso()) == len("2026-03-01T09:30:00.250Z") and utc_now_iso().endswith("Z")


def test_other_zones_and_naive_datetimes_are_written_as_utc() -> None:
    rome = timezone(timedelta(hours=1))
    assert to_iso(datetime(2026, 3, 1, 10, 30, tzinfo=rome)) == "2026-03-01T09:30:00.000Z"
    assert to_iso(datetime(2026, 3, 1, 9, 30)) == "2026-03-01T09:30:00.000Z"


def test_parse_reads_z_and_offsets_and_round_trips() -> None:
    stamp = "2026-03-01T09:30:00.250Z"
    assert parse_iso(stamp) == datetime(2026, 3, 1, 9, 30, 0, 250_000, tzinfo=UTC)
    assert parse_iso("2026-03-01T10:30:00+01:00") == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert to_iso(parse_iso(stamp)) == stamp
    assert to_iso(epoch_seconds(stamp)) == stamp
