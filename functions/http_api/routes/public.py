"""Unauthenticated routes: the public installation config (window.globalConfig) and the
confirmation link mailed to an email inbox's support address."""
from __future__ import annotations

import html

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from parley import global_config
from parley.errors import ParleyError
from parley.services.inbox import inboxes

router = Router()


@router.get("/public/api/v1/global_config")
def show():
    return global_config.public_config()


def _page(status: int, title: str, text: str, form: bool = False) -> Response:
    button = '<form method="post"><button type="submit">Confirm</button></form>' if form else ""
    body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{button}</body></html>")
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body,
                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                             "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'"})


@router.get("/public/email_verification/<token>")
def email_verification_page(token: str):
    # GET changes nothing: mail scanners fetch links, and only a person should confirm.
    return _page(200, "Confirm this support address",
                 "Press Confirm if you set up a Parley inbox to receive this address's mail.", form=True)


@router.post("/public/email_verification/<token>")
def confirm_email_verification(token: str):
    try:
        inbox = inboxes.confirm_email(token)
    except ParleyError as exc:
        return _page(exc.status, "Not confirmed", exc.message)
    return _page(200, "Address confirmed",
                 f"Mail to {inbox.channel.get('email')} now reaches the inbox \u201c{inbox.name}\u201d.")
