"""Faults injected where Parley meets AWS: `parley.aws.client`, the one factory every
caller looks up at call time."""
from __future__ import annotations

from typing import Callable


def swap_client(monkeypatch, service: str, wrap: Callable) -> Callable[[], None]:
    """From now on `aws.client(service)` answers `wrap(the real client)`; other services
    are untouched. Returns a function that puts the real factory back."""
    from parley import aws

    real_factory = aws.client

    def client(name: str, **options):
        made = real_factory(name, **options)
        return wrap(made) if name == service else made

    monkeypatch.setattr(aws, "client", client)
    return lambda: monkeypatch.setattr(aws, "client", real_factory)
