"""Fails on demand, as the item asks: `poison` always; `fail_times` N: the first N
deliveries of its record; `reject`: reported as a batch item failure until its second
delivery. Records are the event's `Records` (mappings) or the event itself (pipes)."""
from collections import Counter

deliveries: Counter = Counter()  # eventID -> times seen, in this process


def lambda_handler(event, context):
    records = event["Records"] if isinstance(event, dict) else event
    rejected = []
    for record in records:
        deliveries[record["eventID"]] += 1
        image = record["dynamodb"].get("NewImage") or {}
        if "poison" in image:
            raise RuntimeError(f"poison record {record['dynamodb']['Keys']}")
        if deliveries[record["eventID"]] <= int(image.get("fail_times", {}).get("N", "0")):
            raise RuntimeError(f"asked to fail {image['fail_times']['N']} times")
        if "reject" in image and deliveries[record["eventID"]] < 2:
            rejected.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": rejected}
