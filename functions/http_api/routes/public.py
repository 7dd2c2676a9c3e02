"""Unauthenticated reads: the public installation config (window.globalConfig)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from parley import global_config

router = Router()


@router.get("/public/api/v1/global_config")
def show():
    return global_config.public_config()
