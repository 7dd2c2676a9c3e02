"""/super_admin/api/v1: installation config and platform apps, for super admins only."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from api import Body, body, principal
from parley import global_config, permissions
from parley.services import platform

router = Router()


class ConfigUpdate(Body):
    value: Any = None


class PlatformAppCreate(Body):
    name: str = Field(min_length=1, max_length=255)


@router.get("/super_admin/api/v1/installation_configs")
def list_configs():
    permissions.super_admin(principal(router))
    return {"payload": global_config.listing()}


@router.route("/super_admin/api/v1/installation_configs/<name>", method=["PATCH", "PUT"])
def update_config(name: str):
    permissions.super_admin(principal(router))
    payload = body(router, ConfigUpdate)
    return global_config.view(global_config.update(name, payload.value))


@router.post("/super_admin/api/v1/platform_apps")
def create_platform_app():
    permissions.super_admin(principal(router))
    app, token = platform.create_platform_app(body(router, PlatformAppCreate).name)
    return {"id": app.id, "name": app.name, "access_token": token}
