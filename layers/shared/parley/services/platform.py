"""Platform apps: installation-level clients that provision accounts and users.

As in Chatwoot, an app may only read or change what it created itself."""
from __future__ import annotations

from .. import ids
from ..errors import NotFound
from ..models.platform_app import PlatformApp
from . import tokens


def owner(app_id: int) -> str:
    return f"PlatformApp#{app_id}"


def create_platform_app(name: str) -> tuple[PlatformApp, str]:
    app = PlatformApp(ids.next_id("PlatformApp"), name=name)
    app.save()
    return app, tokens.issue(owner(app.id))


def get_platform_app(app_id: int) -> PlatformApp:
    try:
        return PlatformApp.get(app_id)
    except PlatformApp.DoesNotExist:
        raise NotFound("Platform app not found") from None


def ensure_owned(app_id: int, resource) -> None:
    """404 for anything another app (or a person) created: its existence is not the app's business."""
    if getattr(resource, "platform_app_id", None) != app_id:
        raise NotFound()
