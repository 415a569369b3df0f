"""The rules without a database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

import booking

UTC = dt.timezone.utc


def T(h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2027, 3, 1, h, m, tzinfo=UTC)


def test_overlap_is_half_open() -> None:
    assert booking.overlaps(T(9), T(10), T(9, 30), T(11))
    assert not booking.overlaps(T(9), T(10), T(10), T(11)), "back to back"
    assert booking.overlaps(T(9), T(12), T(10), T(11)), "inside"
    # Any zone is read as the instant it names.
    berlin = ZoneInfo("Europe/Berlin")
    assert booking.overlaps(dt.datetime(2027, 3, 1, 10, 30, tzinfo=berlin), T(11), T(9), T(10))


def test_first_conflict_finds_the_first_overlap() -> None:
    held = [(T(8), T(9)), (T(10), T(11)), (T(10, 30), T(12))]
    assert booking.first_conflict(held, T(10, 45), T(11, 15)) == 1
    assert booking.first_conflict(held, T(9), T(10)) is None
    assert booking.first_conflict([], T(9), T(10)) is None


def test_series_expansion_keeps_local_time_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = dt.datetime(2027, 3, 22, 9, tzinfo=berlin)  # a Monday before the switch (28 March)
    occ = booking.expand_series("FREQ=WEEKLY;COUNT=3", start, "Europe/Berlin", 45,
                                dt.datetime(2027, 6, 1, tzinfo=UTC))
    assert [s.astimezone(berlin).hour for s, _ in occ] == [9, 9, 9]
    assert [s.hour for s, _ in occ] == [8, 7, 7]
    assert all(e - s == dt.timedelta(minutes=45) for s, e in occ)


def test_naive_datetimes_and_bad_rules_are_refused() -> None:
    with pytest.raises(booking.InvalidInput) as e:
        booking.overlaps(dt.datetime(2027, 3, 1, 9), T(10), T(9), T(10))
    assert e.value.field == "a_start"
    with pytest.raises(booking.InvalidInput):
        booking.expand_series("FREQ=SOMETIMES", T(9), "Europe/Berlin", 30, T(23))
    with pytest.raises(booking.InvalidInput) as z:
        booking.expand_series("FREQ=DAILY;COUNT=2", T(9), "Nowhere/Else", 30, T(23))
    assert z.value.field == "time_zone"


def test_a_database_that_does_not_answer_is_unavailable() -> None:
    with pytest.raises(booking.Unavailable):
        booking.open("postgresql://postgres@127.0.0.1:1/nothing")
