"""Mail on the local stack: SES is moto, which sends nothing anywhere.

moto refuses to send from an identity that is not verified, as SES does, so on start the
domains of the addresses Parley sends from (channels/email.py `system_sender`, and the
inbound domain its inbox replies come from) are verified, read from the installation
config. What was "sent" stays in moto's memory until the stack stops; `page()` shows it
at /_local/mail, so a trial user can follow a password or confirmation link.
"""
from __future__ import annotations

import email
import threading
from email import policy
from typing import Any

from .cfn import ACCOUNT, REGION

# Used only when the installation config names no sender at all: the seed cast's own
# domain (.test never resolves, so nothing could ever leave with it).
FALLBACK_SENDER = "noreply@parley.test"


def ensure_senders(session: Any, endpoint: str | None = None) -> list[str]:
    """Give the installation a sender if it has none, and verify, in moto's SES, the
    domains Parley's mails are sent from. Returns them."""
    from parley import global_config
    from parley.channels import email as mail_channel

    if not mail_channel.system_sender():
        global_config.update("MAILER_SUPPORT_EMAIL", FALLBACK_SENDER)
    domains = sorted({d for d in (mail_channel.system_sender().rpartition("@")[2], mail_channel.inbound_domain()) if d})
    ses = session.client("ses", region_name=REGION, endpoint_url=endpoint)
    for domain in domains:
        ses.verify_domain_identity(Domain=domain)
    return domains


def page(lock: threading.RLock) -> str:
    """Every mail moto accepted since the stack started, newest first, as plain text."""
    from moto.ses.models import ses_backends

    with lock:  # moto is not thread-safe; its server holds the same lock per request
        sent = list(ses_backends[ACCOUNT][REGION].sent_messages)
    if not sent:
        return "No mail sent since the local stack started.\n"
    parts = []
    for message in reversed(sent):
        raw = getattr(message, "raw_data", None)
        if raw is None:  # a non-raw SendEmail
            parts.append(f"To: {', '.join(getattr(message, 'destinations', {}).get('ToAddresses', []))}\n"
                         f"Subject: {getattr(message, 'subject', '')}\n\n{getattr(message, 'body', '')}")
            continue
        mail = email.message_from_string(raw, policy=policy.default)
        body = mail.get_body(("plain", "html"))
        parts.append(f"From: {mail['From']}\nTo: {mail['To']}\nDate: {mail['Date']}\nSubject: {mail['Subject']}\n\n"
                     f"{body.get_content() if body is not None else ''}")
    return ("\n" + "-" * 72 + "\n").join(parts)
