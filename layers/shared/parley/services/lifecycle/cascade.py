"""What a deletion cascade run by a job shares (an account's, a conversation's): a budget of
items per run, so one message's work ends well inside Lambda's timeout and the job goes on
in the next message; every step re-reads what is left, so a run cut short anywhere resumes."""
from __future__ import annotations

from ... import aws
from ...settings import get_settings


class ChunkDone(Exception):
    """This run's budget is spent; the job continues in the next message."""


class Budget:
    def __init__(self, account_id: int, limit: int):
        self.account_id, self.limit, self.deleted = account_id, limit, 0

    def delete(self, items: list) -> None:
        """Delete `items` (any models, batched per table), then charge them to the budget."""
        by_model: dict[type, list] = {}
        for item in items:
            by_model.setdefault(type(item), []).append(item)
        for model, rows in by_model.items():
            with model.batch_write() as batch:
                for row in rows:
                    batch.delete(row)
        self.charge(len(items))

    def charge(self, count: int) -> None:
        self.deleted += count
        if self.deleted >= self.limit:
            raise ChunkDone()

    def delete_files(self, prefix: str) -> None:
        """Every file of the attachments bucket under `prefix`, 500 a request."""
        client, bucket = aws.client("s3"), get_settings().attachments_bucket
        while keys := [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix,
                                                                 MaxKeys=500).get("Contents", [])]:
            client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})
            self.charge(len(keys))
