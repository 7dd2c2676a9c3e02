"""Report rollups: pre-aggregated reporting metrics per account × dimension × time bucket
(services/reporting/rollups.py writes and reads them; docs/data-model.md, "Report rollups").

Key: `series` = "<account>#<dimension>#<dimension id>#<granularity>" and `bucket` = epoch
second of the bucket's start. ONE item holds every metric of its (series, bucket):
`<metric>_count`, `<metric>_total` (seconds), `<metric>_total_bh` (seconds within business
hours), and first_response's distribution counters `first_response_d0` .. `_d4`."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import table_meta

METRICS = ("conversations", "incoming_messages", "outgoing_messages", "first_response", "reply_time",
           "resolution", "bot_resolution", "bot_handoff", "opened")
# first_response's distribution: < 1 h, 1-4 h, 4-8 h, 8-24 h, > 24 h (upper bounds in seconds).
DISTRIBUTION_BOUNDS = (3600, 4 * 3600, 8 * 3600, 24 * 3600)
DISTRIBUTION = tuple(f"first_response_d{i}" for i in range(len(DISTRIBUTION_BOUNDS) + 1))
# Every numeric attribute an item may hold.
ATTRIBUTES = tuple(f"{m}_{suffix}" for m in METRICS for suffix in ("count", "total", "total_bh")) + DISTRIBUTION


# One NumberAttribute per ATTRIBUTES entry, declared from the list (pynamodb collects a
# model's attributes when the class is created), so writer and reader share one source.
ReportRollup = type(Model)("ReportRollup", (Model,), {
    "__module__": __name__,
    "__doc__": "One (series, bucket) of report rollups: every metric's count and totals.",
    "Meta": table_meta("report_rollups_table"),
    "series": UnicodeAttribute(hash_key=True),
    "bucket": NumberAttribute(range_key=True),
    **{name: NumberAttribute(null=True) for name in ATTRIBUTES},
})
