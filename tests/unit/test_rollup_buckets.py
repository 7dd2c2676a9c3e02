"""Report rollups' decomposition (services/reporting/rollups.py): every group of a report
is tiled exactly by the coarsest aligned buckets available, in any fixed UTC offset."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from parley.services.reporting import rollups
from parley.services.reporting.rollups import DAY, HOUR, QUARTER, decompose, phase_of

UTC = [(0, 0)]


def epoch(*args, offset_minutes: int = 0) -> int:
    return int(datetime(*args, tzinfo=timezone(timedelta(minutes=offset_minutes))).timestamp())


def span(granularity: str, start: int) -> int:
    return {"q": QUARTER, "h": HOUR}.get(granularity, DAY)


def assert_tiles(pieces, start: int, end: int) -> None:
    """The pieces are aligned, contiguous and cover [start, end) exactly."""
    at = start
    for granularity, bucket in pieces:
        assert bucket == at, (granularity, bucket, at)
        assert rollups.bucket_of(bucket, granularity) == bucket  # aligned to its own grid
        at += span(granularity, bucket)
    assert at == end


def kinds(pieces) -> dict[str, int]:
    found: dict[str, int] = {}
    for granularity, _ in pieces:
        found[granularity] = found.get(granularity, 0) + 1
    return found


def test_phase_of_offsets():
    assert phase_of(0) == 0
    assert phase_of(330) == 1110  # India +05:30: local midnight is 18:30 UTC
    assert phase_of(345) == 1095  # Nepal +05:45: 18:15 UTC
    assert phase_of(-210) == 210  # Newfoundland -03:30: 03:30 UTC
    assert phase_of(-300) == 300
    with pytest.raises(Exception):
        phase_of(20)


def test_utc_day_is_one_bucket():
    start = epoch(2026, 3, 1)
    pieces = decompose(start, start + DAY, UTC)
    assert pieces == [("d0", start)]


@pytest.mark.parametrize("offset", [330, 345, -210, 540, -600, 825])
def test_local_day_without_its_phase_is_hours_and_quarters(offset):
    start = epoch(2026, 3, 1, offset_minutes=offset)
    pieces = decompose(start, start + DAY, UTC)
    assert_tiles(pieces, start, start + DAY)
    assert "d0" not in kinds(pieces)
    # whole-hour offsets: 24 hours; others: 23 hours and the rest of each edge's hour in quarters
    assert kinds(pieces)["h"] == (23 if offset % 60 else 24)
    assert kinds(pieces).get("q", 0) == (4 if offset % 60 else 0)


def test_nepal_day_pieces_are_exact():
    start = epoch(2026, 3, 1, offset_minutes=345)  # 2026-02-28 18:15 UTC
    pieces = decompose(start, start + DAY, UTC)
    assert pieces[:4] == [("q", start), ("q", start + 900), ("q", start + 1800), ("h", start + 2700)]
    assert pieces[-1] == ("q", start + DAY - 900)  # 18:00-18:15 UTC
    assert len(pieces) == 3 + 23 + 1


@pytest.mark.parametrize("offset", [330, 345, -210])
def test_local_days_with_their_phase_are_one_bucket_each(offset):
    phase = phase_of(offset)
    start = epoch(2026, 3, 1, offset_minutes=offset)
    pieces = decompose(start, start + 7 * DAY, [(0, 0), (phase, 0)])
    assert pieces == [(f"d{phase}", start + i * DAY) for i in range(7)]


def test_phase_days_only_from_complete_since():
    offset = 345
    phase = phase_of(offset)
    start = epoch(2026, 3, 1, offset_minutes=offset)
    since = start + 3 * DAY
    pieces = decompose(start, start + 7 * DAY, [(0, 0), (phase, since)])
    assert_tiles(pieces, start, start + 7 * DAY)
    assert [b for g, b in pieces if g == f"d{phase}"] == [since + i * DAY for i in range(4)]
    # before complete_since: whole UTC days where they fit, then hours and quarters
    before = [p for p in pieces if p[1] < since]
    assert all(g in ("q", "h", "d0") for g, _ in before)
    assert kinds(before)["d0"] == 2


def test_long_utc_range_uses_utc_days_inside_local_groups():
    start = epoch(2026, 3, 1, offset_minutes=330)
    end = start + 30 * DAY
    pieces = decompose(start, end, UTC)
    assert_tiles(pieces, start, end)
    assert kinds(pieces)["d0"] == 29
    assert len(pieces) < 29 + 2 * 24 + 4


@pytest.mark.parametrize("start,end", [
    (epoch(2026, 3, 1, 0, 15), epoch(2026, 3, 1, 0, 45)),  # inside one hour
    (epoch(2026, 3, 1, 0, 45), epoch(2026, 3, 1, 1, 15)),  # across an hour edge
    (epoch(2026, 3, 1, 23, 45), epoch(2026, 3, 2, 0, 15)),  # across a day edge
    (epoch(2026, 3, 1, 0, 0), epoch(2026, 3, 1, 0, 15)),  # one quarter
])
def test_group_edges_tile_exactly(start, end):
    pieces = decompose(start, end, [(0, 0), (phase_of(345), 0)])
    assert_tiles(pieces, start, end)


def test_empty_group_and_misaligned_edges():
    start = epoch(2026, 3, 1)
    assert decompose(start, start, UTC) == []
    with pytest.raises(ValueError):
        decompose(start + 60, start + DAY, UTC)


def test_increments_every_dimension_and_granularity():
    at = epoch(2026, 3, 1, 18, 20)  # 18:20 UTC = 00:05 the next day in Nepal
    found = rollups.increments(7, "first_response", at, [("agent", 3), ("inbox", 2), ("agent", 3), ("team", None)],
                               value=5400, value_bh=1800, phases=[phase_of(345)])
    assert len(found) == 3 * 4  # account, agent 3, inbox 2 (duplicates and None skipped) × q, h, d0, d1095
    nepal_day = epoch(2026, 3, 2, offset_minutes=345)
    assert found[("7#agent#3#d1095", nepal_day)] == {
        "first_response_count": 1, "first_response_total": 5400, "first_response_total_bh": 1800,
        "first_response_d1": 1}
    assert ("7#account#0#q", epoch(2026, 3, 1, 18, 15)) in found
    assert ("7#inbox#2#h", epoch(2026, 3, 1, 18)) in found
    assert ("7#inbox#2#d0", epoch(2026, 3, 1)) in found
    with pytest.raises(ValueError):
        rollups.increments(7, "nonsense", at, [])


def test_distribution_bounds():
    assert [rollups.distribution_attribute(s) for s in (0, 3599, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 10 ** 7)] == [
        "first_response_d0", "first_response_d0", "first_response_d1", "first_response_d2", "first_response_d3",
        "first_response_d4", "first_response_d4"]
