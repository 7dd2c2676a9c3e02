"""Report rollups: every reporting metric pre-aggregated per account × dimension × time
bucket, so a report reads buckets, never conversations (docs/data-model.md, "Report
rollups"; docs/reports.md, "How reports are read").

Write: `add(tx, ...)` adds one occurrence of a metric to every (dimension, granularity)
series it belongs to, as UpdateItem ADD actions inside the caller's TransactWrite (the
reporting event's own transaction, so a replay adds nothing).

Granularities: `q` (15 minutes), `h` (UTC hour), `d0` (UTC day) always; `d<phase>` (the
local days of a UTC offset whose midnight falls `phase` minutes after UTC midnight) for the
phases of the account's `report_phases` record, at most MAX_PHASES of them. A phase's
day buckets are complete from the record's `complete_since` on (the first such day that
starts after every writer has seen the phase); before that a reader composes the day
from UTC days, hours and quarters, which are always complete.

Read: `totals(account_id, dimension, ids, edges)` decomposes each group [edge, next edge)
into the coarsest aligned buckets available and reads exactly those keys by BatchGetItem:
the requests and read units follow the number of buckets asked for, not the data.
"""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable, Iterable, Sequence

from pynamodb.exceptions import PutError

from ...errors import Invalid
from ...models.account_object import AccountObject
from ...models.report_rollup import ATTRIBUTES, DISTRIBUTION, DISTRIBUTION_BOUNDS, METRICS, ReportRollup

QUARTER, HOUR, DAY = 900, 3600, 86400
DIMENSIONS = ("account", "agent", "inbox", "team", "label", "channel")
MAX_PHASES = 4  # local-day phases an account keeps besides UTC's
PHASES_KIND = "report_phases"
# How long a writer trusts its copy of the phases record; a phase added now is complete
# from its first day starting after this much time (every writer has re-read it by then).
PHASES_CACHE_SECONDS = 300
BATCH = 100  # BatchGetItem's keys per request

Key = tuple[str, int]  # (series, bucket)

_phases_cache: dict[int, tuple[float, dict[int, int]]] = {}


# ------------------------------------------------------------------ keys and buckets

def series(account_id: int, dimension: str, dimension_id, granularity: str) -> str:
    return f"{account_id}#{dimension}#{dimension_id}#{granularity}"


def phase_of(offset_minutes: int) -> int:
    """The phase of a UTC offset: minutes after UTC midnight at which its local day starts."""
    if offset_minutes % 15:
        raise Invalid("A time zone offset must be a whole number of quarter hours", field="timezone_offset")
    return (-offset_minutes) % 1440


def day_start(at: int, phase: int) -> int:
    """The start of the local day (of `phase`) holding epoch second `at`."""
    shift = phase * 60
    return (at - shift) // DAY * DAY + shift


def bucket_of(at: int, granularity: str) -> int:
    if granularity == "q":
        return at - at % QUARTER
    if granularity == "h":
        return at - at % HOUR
    return day_start(at, int(granularity[1:]))


# ------------------------------------------------------------------ writing

def increments(account_id: int, metric: str, at: int, dimensions: Iterable[tuple[str, object]],
               value: float | None = None, value_bh: float | None = None, extra: dict[str, int] | None = None,
               phases: Iterable[int] = (), granularities: Sequence[str] | None = None) -> dict[Key, dict[str, float]]:
    """What one occurrence adds: {(series, bucket): {attribute: amount}} for the account
    series and each of `dimensions` ((dimension, id) pairs), at every granularity (q, h,
    d0 and d<phase> for each phase). A value adds `<metric>_total` and `<metric>_total_bh`
    (value_bh, else the value: an inbox without working hours counts every second);
    first_response also adds its distribution counter. `granularities` narrows the
    granularities (bench/reports.py aggregates quarters, then rolls them up)."""
    if metric not in METRICS:
        raise ValueError(f"unknown report metric {metric!r}")
    amounts: dict[str, float] = {f"{metric}_count": 1}
    if value is not None:
        amounts[f"{metric}_total"] = value
        amounts[f"{metric}_total_bh"] = value if value_bh is None else value_bh
        if metric == "first_response":
            amounts[distribution_attribute(value)] = 1
    for name, amount in (extra or {}).items():
        if name not in ATTRIBUTES:
            raise ValueError(f"unknown rollup attribute {name!r}")
        amounts[name] = amounts.get(name, 0) + amount
    if granularities is None:
        granularities = ["q", "h", "d0"] + [f"d{p}" for p in sorted(set(phases)) if p]
    seen: list[tuple[str, object]] = []
    for dimension in [("account", 0), *dimensions]:
        if dimension[0] not in DIMENSIONS:
            raise ValueError(f"unknown report dimension {dimension[0]!r}")
        if dimension[1] is None or dimension in seen:
            continue
        seen.append(dimension)
    found: dict[Key, dict[str, float]] = {}
    for dimension, dimension_id in seen:
        for granularity in granularities:
            found[(series(account_id, dimension, dimension_id, granularity), bucket_of(at, granularity))] = dict(amounts)
    return found


def distribution_attribute(seconds: float) -> str:
    """first_response's distribution counter for a response time: < 1 h, 1-4 h, 4-8 h, 8-24 h, > 24 h."""
    for index, bound in enumerate(DISTRIBUTION_BOUNDS):
        if seconds < bound:
            return DISTRIBUTION[index]
    return DISTRIBUTION[-1]


def write(tx, found: dict[Key, dict[str, float]]) -> int:
    """Add the increments to transaction `tx`: one UpdateItem (ADD) per item. Returns the
    number of items, which counts against DynamoDB's 100 per transaction."""
    for (series_key, bucket), amounts in found.items():
        tx.update(ReportRollup(series_key, bucket),
                  actions=[getattr(ReportRollup, name).add(amount) for name, amount in amounts.items()])
    return len(found)


def add(tx, account_id: int, metric: str, at: int, dimensions: Iterable[tuple[str, object]],
        value: float | None = None, value_bh: float | None = None, extra: dict[str, int] | None = None) -> int:
    """Add one occurrence of `metric` at epoch second `at` to every (dimension,
    granularity) series, inside the caller's TransactWrite `tx`. `dimensions`: list of
    (dimension, id) — ("agent", user id), ("inbox", id), ("team", id), ("label", title),
    ("channel", "Channel::WebWidget"); the account series is always added; a None id is
    skipped. One transaction may not touch the same item twice: call `add` once per
    transaction per account and time, or merge with `increments` + `write`. Returns the
    number of items written (3 + phases per dimension, plus the account's)."""
    return write(tx, increments(account_id, metric, int(at), dimensions, value, value_bh, extra,
                                phases=written_phases(account_id)))


# ------------------------------------------------------------------ phases

def phases_key() -> str:
    return AccountObject.key_for(PHASES_KIND, 0)


def phases(account_id: int, consistent: bool = False) -> dict[int, int]:
    """The account's local-day phases: {phase: complete_since epoch} (one GetItem)."""
    try:
        item = AccountObject.get(account_id, phases_key(), consistent_read=consistent)
    except AccountObject.DoesNotExist:
        return {}
    return {int(phase): int(since) for phase, since in (item.data or {}).items()}


def written_phases(account_id: int, now: float | None = None) -> list[int]:
    """The phases a writer adds day buckets for, re-read at most every PHASES_CACHE_SECONDS."""
    now = time.time() if now is None else now
    cached = _phases_cache.get(account_id)
    if cached is None or now - cached[0] > PHASES_CACHE_SECONDS:
        cached = (now, phases(account_id))
        _phases_cache[account_id] = cached
    return list(cached[1])


def forget() -> None:
    """Drop the writers' cached phases (tests: every test's account ids start again at 1)."""
    _phases_cache.clear()


def ensure_phase(account_id: int, phase: int, now: float | None = None,
                 also: Callable[[], Iterable[int]] | None = None) -> dict[int, int]:
    """Make sure the account keeps day buckets of `phase` (a report asked for it), and of
    the phases `also` (the account's inboxes' time zones, when the record is first made)
    while there is room: a new phase is complete from its first day starting after every
    writer has re-read the record. At most MAX_PHASES; a report of another phase composes
    its days from UTC days, hours and quarters. Returns the phases."""
    now = int(time.time() if now is None else now)
    for _ in range(3):
        try:
            item = AccountObject.get(account_id, phases_key(), consistent_read=True)
            wanted = [phase]
        except AccountObject.DoesNotExist:
            item = AccountObject(account_id, phases_key(), id=0, data={})
            wanted = [phase, *(also() if also is not None else ())]
        known = {int(p): int(s) for p, s in (item.data or {}).items()}
        added = False
        for candidate in wanted:
            if candidate and candidate not in known and len(known) < MAX_PHASES:
                known[candidate] = day_start(now + PHASES_CACHE_SECONDS, candidate) + DAY
                added = True
        if not added:
            return known
        item.data = {str(p): s for p, s in sorted(known.items())}
        try:
            item.save()
            return known
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    return phases(account_id, consistent=True)


def fill_phase_days(account_id: int, phase: int, series_ids: Iterable[tuple[str, object]], first_day: int,
                    days: int) -> int:
    """Write the local days of `phase` from `first_day` on (`days` of them) for these
    (dimension, id) series, each composed from the UTC days, hours and quarters that tile
    it (which are always complete): the rebuild's way to make a phase complete further
    back, before moving its complete_since (`mark_complete_since`). Idempotent (a Put of
    the sums). A late occurrence committed between this read and write would be lost from
    the day bucket; run it for days no live event lands in. Returns the items written."""
    if not phase or first_day != day_start(first_day, phase):
        raise ValueError("first_day must be a local midnight of a phase other than UTC's")
    ids = list(series_ids)
    written = 0
    for index in range(days):
        start = first_day + index * DAY
        pieces = decompose(start, start + DAY, [(0, 0)])
        keys = [(series(account_id, dimension, dimension_id, g), bucket)
                for dimension, dimension_id in ids for g, bucket in pieces]
        found = read(sorted(set(keys)))
        with ReportRollup.batch_write() as batch:
            for dimension, dimension_id in ids:
                sums = _sum(found, [(series(account_id, dimension, dimension_id, g), b) for g, b in pieces]).values
                if sums:
                    batch.save(ReportRollup(series(account_id, dimension, dimension_id, f"d{phase}"), start,
                                            **{name: amount for name, amount in sums.items()}))
                    written += 1
    return written


def mark_complete_since(account_id: int, phase: int, since: int) -> None:
    """Move a phase's complete_since back to `since` (its days from there are filled)."""
    item = AccountObject.get(account_id, phases_key(), consistent_read=True)
    data = dict(item.data or {})
    if str(phase) in data and since < int(data[str(phase)]):
        data[str(phase)] = since
        item.data = data
        item.save()


# ------------------------------------------------------------------ reading

def decompose(start: int, end: int, grids: Sequence[tuple[int, int]]) -> list[tuple[str, int]]:
    """The coarsest aligned buckets that exactly tile [start, end) (multiples of 900):
    [(granularity, bucket start)], using local days of the `grids` ((phase, complete
    since) pairs; UTC's phase 0 is complete since 0) where whole complete days fit, then
    UTC hours, then quarters; of the ways to use the grids, the one with fewest buckets."""
    if start % QUARTER or end % QUARTER:
        raise ValueError("rollup edges must be multiples of 900 seconds")
    if end <= start:
        return []
    best = _hours(start, end)
    for phase, since in grids:
        first = day_start(max(start, since) + DAY - 1, phase)  # first day starting at or after both
        last = day_start(end, phase)  # end of the last whole day before `end`
        if last - first < DAY:
            continue
        rest = [grid for grid in grids if grid[0] != phase]
        pieces = (decompose(start, first, rest) + [(f"d{phase}", day) for day in range(first, last, DAY)]
                  + decompose(last, end, rest))
        if len(pieces) <= len(best):  # a tie goes to the later grid: a local phase over UTC
            best = pieces
    return best


def _hours(start: int, end: int) -> list[tuple[str, int]]:
    first = -(-start // HOUR) * HOUR
    last = end // HOUR * HOUR
    if last <= first:
        return [("q", q) for q in range(start, end, QUARTER)]
    return ([("q", q) for q in range(start, first, QUARTER)] + [("h", h) for h in range(first, last, HOUR)]
            + [("q", q) for q in range(last, end, QUARTER)])


class Totals:
    """The sums of one group: count / total / total_bh per metric, and any attribute by name."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, float] | None = None):
        self.values = dict(values or {})

    def __getitem__(self, attribute: str) -> float:
        return self.values.get(attribute, 0)

    def count(self, metric: str) -> int:
        return int(self["{}_count".format(metric)])

    def total(self, metric: str, business_hours: bool = False) -> float:
        return self[f"{metric}_total_bh" if business_hours else f"{metric}_total"]

    def total_bh(self, metric: str) -> float:
        return self[f"{metric}_total_bh"]

    def average(self, metric: str, business_hours: bool = False) -> float:
        count = self.count(metric)
        return self.total(metric, business_hours) / count if count else 0

    def add(self, values: dict[str, float]) -> None:
        for name, amount in values.items():
            self.values[name] = self.values.get(name, 0) + amount

    def __add__(self, other: "Totals") -> "Totals":
        result = Totals(self.values)
        result.add(other.values)
        return result

    def __repr__(self) -> str:
        return f"Totals({self.values})"


def grids_of(account_id: int, known: dict[int, int] | None = None) -> list[tuple[int, int]]:
    known = phases(account_id) if known is None else known
    return [(0, 0)] + [(phase, since) for phase, since in sorted(known.items()) if phase]


def plan(account_id: int, dimension: str, ids: Iterable, edges: Sequence[int],
         grids: Sequence[tuple[int, int]]) -> dict[object, list[list[Key]]]:
    """The exact keys each id's groups read: {id: [[(series, bucket), ...] per group]}."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown report dimension {dimension!r}")
    if list(edges) != sorted(edges):
        raise ValueError("rollup edges must be sorted")
    pieces = [decompose(a, b, grids) for a, b in zip(edges, edges[1:])]
    return {dimension_id: [[(series(account_id, dimension, dimension_id, g), bucket) for g, bucket in group]
                           for group in pieces]
            for dimension_id in ids}


def totals(account_id: int, dimension: str, ids: Iterable, edges: Sequence[int],
           known_phases: dict[int, int] | None = None) -> dict[object, list[Totals]]:
    """{id: [Totals per group]} for the groups [edges[i], edges[i+1]) (sorted epoch
    seconds, multiples of 900). Every key is read by BatchGetItem (100 a request)."""
    keyed = plan(account_id, dimension, list(ids), edges, grids_of(account_id, known_phases))
    wanted = sorted({key for groups in keyed.values() for group in groups for key in group})
    found = read(wanted)
    return {dimension_id: [_sum(found, group) for group in groups] for dimension_id, groups in keyed.items()}


def read(keys: Sequence[Key]) -> dict[Key, dict[str, float]]:
    """The stored items of these exact keys (absent keys are empty buckets)."""
    found: dict[Key, dict[str, float]] = {}
    for start in range(0, len(keys), BATCH):
        for item in ReportRollup.batch_get(list(keys[start:start + BATCH])):
            values = {name: getattr(item, name) for name in ATTRIBUTES if getattr(item, name) is not None}
            found[(item.series, int(item.bucket))] = values
    return found


def _sum(found: dict[Key, dict[str, float]], group: list[Key]) -> Totals:
    result: dict[str, float] = defaultdict(float)
    for key in group:
        for name, amount in found.get(key, {}).items():
            result[name] += amount
    return Totals(result)
