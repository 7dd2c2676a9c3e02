"""Email inboxes: SES receives mail for the inbound domain, stores each MIME message in the
mail bucket and S3 notifies the ingest queue; replies leave through SES with threading headers.
This module verifies, parses and sends; storing a received mail (its routing, body, files
and verdicts as a message) is services/messaging/email_ingest.py's.

Addresses (MAILER_INBOUND_EMAIL_DOMAIN from installation config):
- every email inbox has a forwarding address `<random>@<domain>` (the support mailbox
  forwards to it) and may name its own support address; both are claimed in the Uniques
  table (`email_inbox#<address>` -> the inbox), so a recipient finds its inbox by GetItem;
- every conversation answers from `reply+<conversation uuid>@<domain>`; the uuid is
  claimed (`email_conversation#<uuid>` -> the conversation) when the address is first
  handed out, in a mail Parley sends or receives.

Threading of an inbound mail (services/messaging/email_ingest.py), first match wins: a reply+
recipient; an `In-Reply-To` or `References` id that is a message Parley stored or sent in
that inbox (the ingest claims `channel_message#<inbox>#<message id>`); else a new
conversation (Chatwoot's rule for email: a new thread is a new conversation).

SES's verdicts (the receipt rule scans: `ScanEnabled`) are read from the headers SES
prepends to the stored mail, the first occurrence of each, as everything below them is
the sender's to write (`read_verdicts`). Mail flagged as spam or a virus, or whose From
neither SPF nor DKIM vouches for, is stored flagged in a conversation of its own, never
threaded into an existing one; a virus-flagged mail's files are never stored.

Parsing treats every byte as hostile: size, header and part limits are checked before
the stdlib parser sees the message, HTML is sanitised (email_html.py), and one bad part
never loses the mail.
"""
from __future__ import annotations

import email.utils
import html
import re
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from .. import aws, global_config
from ..errors import Invalid
from ..models.inbox import email_verified
from ..models.unique import UniqueClaim
from ..settings import get_settings
from . import Permanent, Retryable
from .email_html import html_to_text, split_html, split_text

MAX_RAW_BYTES = 20 * 1024 * 1024  # larger mail is refused (SES itself takes up to 40 MB)
MAX_HEADER_BYTES = 256 * 1024
MAX_HEADER_LENGTH = 8192  # one unfolded header; longer ones are dropped before parsing
MAX_HEADERS = 300
MAX_PARTS = 100
MAX_DEPTH = 8
MAX_ATTACHMENTS = 15  # Chatwoot's per-message limit
MAX_TEXT_CHARS = 1_000_000  # a body part beyond this is cut before it is split or sanitised
# What a message row keeps (DynamoDB items stop at 400 KB; the MIME original stays in S3).
KEEP = {"text_reply": 30_000, "text_quoted": 10_000, "html_reply": 40_000, "html_quoted": 10_000}
MAX_OUTBOUND_ATTACHMENT_BYTES = 10 * 1024 * 1024
_ID = re.compile(r"<([^<>\s]{1,500})>")
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_MULTIPART = re.compile(rb"(?im)^content-type:[ \t]*multipart/")
_NEEDED_HEADERS = {b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to", b"references",
                   b"mime-version", b"content-type", b"content-transfer-encoding", b"content-disposition",
                   b"delivered-to", b"x-original-to", b"x-forwarded-to", b"x-envelope-to", b"auto-submitted"}
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "X-Forwarded-To", "X-Envelope-To")


# ---------------------------------------------------------------- parsing (pure)

@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_name: str
    from_email: str | None
    to: list[str]
    cc: list[str]
    recipients: list[str]  # every address the mail was sent or delivered to
    date: str | None
    text: str | None
    html: str | None
    attachments: list[Attachment] = field(default_factory=list)
    auto_submitted: bool = False


def _clean_headers(raw: bytes) -> bytes:
    """The message with oversized or surplus top-level headers removed, so the parser
    never works on a hostile header (Python's header parser is slow on huge ones)."""
    match = re.search(rb"\r?\n\r?\n", raw[:MAX_HEADER_BYTES + 4])
    if match is None:
        if len(raw) > MAX_HEADER_BYTES:
            raise Invalid("The mail's header section is too large")
        head, rest = raw, b""
    else:
        head, rest = raw[:match.start()], raw[match.start():]
    kept: list[bytes] = []
    current: list[bytes] = []
    counts = {"needed": 0, "other": 0}

    def flush():
        unfolded = b"".join(current)
        if not current or len(unfolded) > MAX_HEADER_LENGTH:
            return
        # Padding cannot push out the headers Parley reads: each kind has its own budget.
        kind = "needed" if unfolded.split(b":", 1)[0].strip().lower() in _NEEDED_HEADERS else "other"
        counts[kind] += 1
        if counts[kind] > (MAX_HEADERS if kind == "other" else 100):
            return
        kept.append(b"\r\n".join(line.rstrip(b"\r") for line in current))

    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
        else:
            flush()
            current = [line]
    flush()
    return b"\r\n".join(kept) + rest


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
        return "" if value is None else re.sub(r"[\r\n\t]+", " ", str(value)).strip()
    except Exception:  # a malformed header is as good as none
        return ""


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    try:  # the structured header knows where an encoded display name ends
        pairs = [(a.display_name, a.addr_spec) for a in message.get(name).addresses]
    except Exception:  # e.g. a display name that decodes to CR/LF: split the raw value instead
        raw = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
        pairs = [(_decoded(display), address) for display, address in email.utils.getaddresses([raw])]
    found = []
    for display, address in pairs:
        address = (address or "").strip().lower()
        if _ADDRESS.match(address):
            found.append((re.sub(r"[\x00-\x1f\x7f]+", " ", display or "").strip()[:255], address))
    return found[:50]


def _decoded(words: str) -> str:
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(words)))
    except Exception:
        return words


def _ids(value: str) -> list[str]:
    return _ID.findall(value or "")


def _decode(part: EmailMessage) -> str:
    data = part.get_payload(decode=True) or b""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    charset = part.get_content_charset() or "utf-8"
    try:
        text = data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        text = data.decode("utf-8", errors="replace")
    return text[:MAX_TEXT_CHARS]


def parse_mime(raw: bytes) -> ParsedEmail:
    """Parse one inbound mail. Invalid when it breaks a limit; otherwise as much as could
    be understood (bad parts are skipped)."""
    if len(raw) > MAX_RAW_BYTES:
        raise Invalid(f"The mail is larger than {MAX_RAW_BYTES // (1024 * 1024)} MB")
    if len(_MULTIPART.findall(raw)) > MAX_PARTS:
        raise Invalid("The mail has too many MIME parts")
    try:
        message = BytesParser(policy=policy.default).parsebytes(_clean_headers(raw))
    except (RecursionError, MemoryError):
        raise Invalid("The mail's MIME structure is too deep") from None
    senders = _addresses(message, "From")
    to, cc = _addresses(message, "To"), _addresses(message, "Cc")
    recipients = [a for name in _RECIPIENT_HEADERS for _, a in _addresses(message, name)]
    message_ids = _ids(_header(message, "Message-ID"))
    parsed = ParsedEmail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=next(iter(_ids(_header(message, "In-Reply-To"))), None),
        references=_ids(_header(message, "References"))[-20:],
        subject=_header(message, "Subject")[:998],
        from_name=senders[0][0] if senders else "", from_email=senders[0][1] if senders else None,
        to=[a for _, a in to], cc=[a for _, a in cc], recipients=list(dict.fromkeys(recipients)),
        date=_header(message, "Date")[:100] or None, text=None, html=None,
        auto_submitted=_header(message, "Auto-Submitted").lower() not in ("", "no"))
    count = 0

    def walk(part: EmailMessage, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_PARTS:
            raise Invalid("The mail has too many MIME parts")
        try:
            content_type = part.get_content_type()
            if part.is_multipart():
                if depth < MAX_DEPTH and content_type.startswith("multipart/"):
                    for child in part.iter_parts():
                        walk(child, depth + 1)
                return
            disposition = part.get_content_disposition()
            filename = part.get_filename()
            if disposition != "attachment" and not filename and content_type in ("text/plain", "text/html"):
                if content_type == "text/plain" and parsed.text is None:
                    parsed.text = _decode(part)
                    return
                if content_type == "text/html" and parsed.html is None:
                    parsed.html = _decode(part)
                    return
            if len(parsed.attachments) >= MAX_ATTACHMENTS:
                return
            data = part.get_payload(decode=True)
            if isinstance(data, (bytes, bytearray)) and data:
                parsed.attachments.append(Attachment(filename or "attachment", content_type, bytes(data)))
        except Invalid:
            raise
        except Exception:  # one undecodable part never loses the rest of the mail
            return

    walk(message, 0)
    return parsed


def body_parts(parsed: ParsedEmail) -> tuple[str, dict]:
    """(message content, Chatwoot's `content_attributes.email`): the new text shown, the
    quoted history kept apart for the dashboard to fold."""
    text_reply = text_quoted = html_reply = html_quoted = ""
    if parsed.html:
        html_reply, html_quoted = split_html(parsed.html)
    if parsed.text:
        text_reply, text_quoted = split_text(parsed.text)
    elif html_reply or html_quoted:
        text_reply, text_quoted = html_to_text(html_reply), html_to_text(html_quoted)
    content = text_reply or text_quoted or html_to_text(html_reply)
    truncated = False

    def keep(value: str, name: str) -> str:
        nonlocal truncated
        if len(value) > KEEP[name]:
            truncated = True
            return value[:KEEP[name]]
        return value

    attributes = {
        "subject": parsed.subject, "from": [parsed.from_email] if parsed.from_email else [],
        "to": parsed.to[:20], "cc": parsed.cc[:20], "date": parsed.date,
        "message_id": parsed.message_id, "in_reply_to": parsed.in_reply_to, "references": parsed.references,
        "text_content": {"reply": keep(text_reply, "text_reply"), "quoted": keep(text_quoted, "text_quoted")},
        "html_content": {"reply": keep(html_reply, "html_reply"), "quoted": keep(html_quoted, "html_quoted")},
        "number_of_attachments": len(parsed.attachments),
    }
    if truncated:
        attributes["truncated"] = True
    return content[:KEEP["text_reply"]], attributes


# ---------------------------------------------------------------- SES verdicts (pure)

# What SES prepends to every mail it stores (in this order, above the sender's headers).
_VERDICT_HEADERS = ("x-ses-spam-verdict", "x-ses-virus-verdict", "received-spf", "authentication-results")
_RESULT = re.compile(r"^\s*(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.I)
_PROPERTY = re.compile(r"(smtp\.mailfrom|envelope-from|header\.i|header\.d)\s*=\s*([^\s;]+)", re.I)


@dataclass
class Verdicts:
    """SES's scan of one mail; None where SES said nothing (mail that never passed SES)."""
    spam: str | None = None
    virus: str | None = None
    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None
    authenticated: bool | None = None  # From vouched for by DMARC, or SPF or DKIM of its own domain

    def flags(self) -> list[str]:
        flags = []
        if self.spam == "FAIL":
            flags.append("spam")
        if self.virus not in (None, "PASS"):  # FAIL, or a scan that could not finish
            flags.append("virus")
        if self.authenticated is False:
            flags.append("unauthenticated")
        return flags

    def as_dict(self) -> dict | None:
        found = {k: getattr(self, k) for k in ("spam", "virus", "spf", "dkim", "dmarc", "authenticated")}
        return found if any(v is not None for v in found.values()) else None


def _first_headers(raw: bytes, names: tuple[str, ...]) -> dict[str, str]:
    """The first occurrence of each named top-level header (unfolded)."""
    match = re.search(rb"\r?\n\r?\n", raw[:MAX_HEADER_BYTES + 4])
    head = raw[:match.start()] if match else raw[:MAX_HEADER_BYTES]
    found: dict[str, str] = {}
    name, value = None, []

    def keep():
        if name in names and name not in found:
            found[name] = " ".join(value)[:MAX_HEADER_LENGTH]

    for line in head.decode("latin-1").split("\n"):
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t") and name is not None:
            value.append(line.strip())
            continue
        keep()
        key, colon, rest = line.partition(":")
        name, value = (key.strip().lower(), [rest.strip()]) if colon else (None, [])
    keep()
    return found


def domain_of(value: str) -> str:
    """The domain of an address (or of a bare domain), lower-case."""
    return value.strip("<>\"' ").rpartition("@")[2].lower().rstrip(".")


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment without the public suffix list: the same domain or one inside the
    other (sibling subdomains count as not aligned, which only flags more)."""
    return bool(domain) and (domain == from_domain or from_domain.endswith("." + domain)
                             or domain.endswith("." + from_domain))


def read_verdicts(raw: bytes, from_email: str | None) -> Verdicts:
    """SES's verdicts. SES prepends X-SES-Spam-Verdict, X-SES-Virus-Verdict, Received-SPF
    and `Authentication-Results: amazonses.com; spf=…; dkim=…; dmarc=…` above the sender's
    headers, so only the first occurrence of each is trusted: a sender's own "PASS" lower
    down is ignored (and mail forwarded through another SES keeps that SES's verdicts
    below ours)."""
    headers = _first_headers(raw, _VERDICT_HEADERS)
    verdicts = Verdicts()
    for attribute, name in (("spam", "x-ses-spam-verdict"), ("virus", "x-ses-virus-verdict")):
        if name in headers:
            setattr(verdicts, attribute, (headers[name].split() or ["MISSING"])[0].upper()[:32])
    from_domain = domain_of(from_email or "")
    spf_domains, dkim_domains = [], []
    results = headers.get("authentication-results", "")
    serv_id, _, rest = results.partition(";")
    if serv_id.strip().lower() == "amazonses.com":  # another server's results prove nothing
        current = None
        for token in rest.split(";"):
            token = re.sub(r"\([^()]*\)", " ", token)
            result = _RESULT.match(token)
            if result:
                current = result.group(1).lower()
                value = result.group(2).lower()
                if getattr(verdicts, current) is None or value == "pass":
                    setattr(verdicts, current, value)
                if value != "pass":
                    current = None  # properties of a failed result vouch for nothing
            for key, value in _PROPERTY.findall(token):
                if current == "spf" and key.lower() in ("smtp.mailfrom", "envelope-from"):
                    spf_domains.append(domain_of(value))
                elif current == "dkim" and key.lower() in ("header.i", "header.d"):
                    dkim_domains.append(domain_of(value))
    elif "received-spf" in headers:
        verdicts.spf = (headers["received-spf"].split() or ["none"])[0].lower()[:32]
        if verdicts.spf == "pass":
            spf_domains += [domain_of(v) for k, v in _PROPERTY.findall(headers["received-spf"])
                            if k.lower() == "envelope-from"]
    if any(v is not None for v in (verdicts.spf, verdicts.dkim, verdicts.dmarc)):
        verdicts.authenticated = (verdicts.dmarc == "pass"
                                  or any(_aligned(d, from_domain) for d in spf_domains + dkim_domains))
    return verdicts


# ---------------------------------------------------------------- addresses

def inbound_domain(fresh: bool = False) -> str:
    return str(global_config.get("MAILER_INBOUND_EMAIL_DOMAIN", "", fresh) or "").strip().lower()


def reply_address(conversation) -> str | None:
    domain = inbound_domain()
    return f"reply+{conversation.uuid}@{domain}" if domain else None


def inbox_claim_key(address: str) -> str:
    return f"email_inbox#{address.strip().lower()}"


def conversation_claim_key(conversation_uuid: str) -> str:
    return f"email_conversation#{conversation_uuid.lower()}"


def claim_reply_address(conversation) -> None:
    """Make `reply+<uuid>@domain` findable. A plain put: the uuid is the conversation's own."""
    claim = UniqueClaim(conversation_claim_key(conversation.uuid))
    claim.target = f"Conversation#{conversation.account_id}#{conversation.display_id}"
    claim.save()


def _address_setting(value, field: str) -> str:
    address = str(value or "").strip().lower()
    if not _ADDRESS.match(address):
        raise Invalid(f"{field} must be an email address", field=f"channel.{field}")
    if address.partition("@")[0].startswith("reply+"):
        raise Invalid(f"{field} can't be a reply+ address", field=f"channel.{field}")
    return address


def new_settings(channel: dict) -> dict:
    """An email inbox's settings on creation: the support address it answers as, and a
    forwarding address on the inbound domain for the support mailbox to forward to."""
    unknown = set(channel) - {"email"}
    if unknown:
        raise Invalid(f"{sorted(unknown)[0]} is not a setting of email inboxes", field=f"channel.{sorted(unknown)[0]}")
    domain = inbound_domain(fresh=True)  # an administrator's action: the domain as saved
    if not domain:
        raise Invalid("Email inboxes need MAILER_INBOUND_EMAIL_DOMAIN in the installation config",
                      field="channel.type")
    import secrets

    # The support address is only named here: it is claimed (and routes mail) once its
    # owner follows the confirmation link (services/inbox/inboxes.confirm_email).
    return {"email": _address_setting(channel.get("email"), "email"), "email_verified": False,
            "forward_to_email": f"{secrets.token_hex(12)}@{domain}"}


def changed_settings(current: dict, change: dict) -> dict:
    unknown = set(change) - {"email"}
    if unknown:
        raise Invalid(f"{sorted(unknown)[0]} can't be changed on email inboxes", field=f"channel.{sorted(unknown)[0]}")
    if "email" not in change:
        return {}
    address = _address_setting(change.get("email"), "email")
    if address == current.get("email"):
        return {}
    return {"email": address, "email_verified": False, "email_verification": None}


def claim_keys(channel: dict) -> list[str]:
    addresses = [channel.get("forward_to_email"), channel.get("email") if email_verified(channel) else None]
    return [inbox_claim_key(a) for a in addresses if a]


def system_sender() -> str:
    """The From of Parley's own mails (confirmation links, password links): the
    installation's MAILER_SUPPORT_EMAIL, else noreply@ the inbound mail domain. SES sends
    only from an identity verified in the account (docs/deploy.md)."""
    configured = str(global_config.get("MAILER_SUPPORT_EMAIL", "") or "").strip()
    domain = inbound_domain()
    return configured or (f"noreply@{domain}" if domain else "")


def send_verification(address: str, link: str, inbox_name: str) -> None:
    """Mail the support address a link that proves whoever reads it owns the address.
    Raises Retryable/Permanent with SES's reason when SES refuses or is unreachable."""
    inbox_name = re.sub(r"[\x00-\x1f\x7f]+", " ", inbox_name)[:100]
    send_notice(address, f"Confirm {address} for {inbox_name}",
                f"Someone set up the inbox \"{inbox_name}\" to receive the mail sent to {address}.\n\n"
                f"If that was you, open this link and press Confirm (it expires in 48 hours):\n\n{link}\n\n"
                "If it was not you, ignore this mail: nothing is routed anywhere until the address is confirmed.\n")


def send_notice(address: str, subject: str, text: str) -> None:
    """One plain-text mail from the installation (system_sender) to one address.
    Raises Retryable/Permanent with SES's reason when SES refuses or is unreachable."""
    from botocore.exceptions import BotoCoreError, ClientError

    sender = system_sender()
    if not sender:
        raise Permanent("No sender address: set MAILER_SUPPORT_EMAIL in the installation config")
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = sender
    mail["To"] = address
    mail["Subject"] = re.sub(r"[\x00-\x1f\x7f]+", " ", subject)
    mail["Date"] = email.utils.formatdate(time.time())
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text)
    try:
        aws.client("sesv2").send_email(FromEmailAddress=sender, Destination={"ToAddresses": [address]},
                          Content={"Raw": {"Data": mail.as_bytes()}})
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise Permanent(f"SES {error.get('Code')}: {error.get('Message') or 'no details'}") from None
    except BotoCoreError as exc:
        raise Retryable(f"Could not reach SES: {type(exc).__name__}") from None


def reply_uuid(address: str) -> str | None:
    """The conversation uuid a `reply+<uuid>@<inbound domain>` address names, if it is one."""
    local, _, domain = address.partition("@")
    match = re.fullmatch(r"reply\+([0-9a-f-]{36})", local)
    return match.group(1) if match and domain == inbound_domain() else None


# ---------------------------------------------------------------- receiving (I/O)

def s3_notice(event: dict) -> dict | None:
    """The ingest item for an S3 "Object Created" event (EventBridge, as the mail bucket
    sends it), or None for any other body."""
    detail = event.get("detail") if event.get("source") == "aws.s3" else None
    if not isinstance(detail, dict) or event.get("detail-type") != "Object Created":
        return None
    bucket, key = (detail.get("bucket") or {}).get("name"), (detail.get("object") or {}).get("key")
    if not isinstance(bucket, str) or not isinstance(key, str):
        return None
    return {"channel": "email", "s3_bucket": bucket, "s3_key": key}


def fetch(bucket: str, key: str) -> bytes:
    from botocore.exceptions import ClientError

    try:
        head = aws.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise Invalid("the stored mail is gone") from None
        raise
    if head["ContentLength"] > MAX_RAW_BYTES:
        raise Invalid(f"The mail is larger than {MAX_RAW_BYTES // (1024 * 1024)} MB")
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


# ---------------------------------------------------------------- sending

def _thread_of(conversation) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for a reply: the newest mail in the conversation that
    carried a Message-ID, and the chain it belonged to."""
    from ..models.conversation import Message

    for earlier in Message.query(conversation.key, scan_index_forward=False, limit=20):  # newest first
        details = (earlier.content_attributes or {}).get("email") or {}
        message_id = details.get("message_id") or (earlier.source_id if earlier.message_type == 1 else None)
        if message_id:
            return message_id, [*details.get("references", []), message_id][-10:]
    return None, []


def build(inbox, conversation, message, to_address: str, files: list[tuple[str, str, bytes]] = ()) -> EmailMessage:
    """The outgoing MIME message (no I/O)."""
    domain = inbound_domain()
    reply_to = reply_address(conversation)
    sender = _sender(inbox, conversation)
    if not sender:
        raise Permanent("The inbox has no sending address: set MAILER_INBOUND_EMAIL_DOMAIN or the inbox's email")
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = email.utils.formataddr((inbox.name, sender))
    mail["To"] = to_address
    if reply_to:
        mail["Reply-To"] = reply_to
    subject = ((conversation.additional_attributes or {}).get("mail_subject") or "").strip()
    if not subject:
        subject = f"[#{conversation.display_id}] {inbox.name}"
    elif not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    mail["Subject"] = subject
    mail["Date"] = email.utils.formatdate(time.time())
    id_domain = domain or sender.rpartition("@")[2]
    mail["Message-ID"] = f"<conversation/{conversation.uuid}/messages/{message.id}@{id_domain}>"
    in_reply_to, references = _thread_of(conversation)
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        mail["References"] = " ".join(f"<{r}>" for r in references)
    text = message.content or ""
    mail.set_content(text)
    mail.add_alternative("<html><body>" + html.escape(text).replace("\n", "<br>\n") + "</body></html>",
                         subtype="html")
    for name, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                            filename=name)
    return mail


def _sender(inbox, conversation) -> str | None:
    """The support address once its owner confirmed it; until then the conversation's
    reply+ address (an inbox must not mail as an address it has not proven)."""
    channel = inbox.channel or {}
    return channel["email"] if email_verified(channel) else reply_address(conversation)


def _outgoing_files(message) -> list[tuple[str, str, bytes]]:
    files, total = [], 0
    for record in message.attachments or []:
        total += int(record.get("file_size") or 0)
        if total > MAX_OUTBOUND_ATTACHMENT_BYTES:
            break  # the rest stay in the dashboard; SES would refuse the whole mail
        data = aws.client("s3").get_object(Bucket=get_settings().attachments_bucket, Key=record["key"])["Body"].read()
        files.append((record.get("filename") or "file", record.get("content_type") or "application/octet-stream",
                      data))
    return files


RETRYABLE_CODES = {"TooManyRequestsException", "LimitExceededException", "InternalFailure", "ServiceUnavailable",
                   "Throttling", "ThrottlingException"}


def send(inbox, conversation, message, contact_inbox) -> str:
    """Send an agent's reply; returns its Message-ID (what the customer's reply will name
    in In-Reply-To, so it is the provider message id)."""
    from botocore.exceptions import BotoCoreError, ClientError

    to_address = (contact_inbox.source_id or "").strip().lower()
    if not _ADDRESS.match(to_address):
        raise Permanent(f"The contact's address {to_address[:100]!r} is not an email address")
    try:
        files = _outgoing_files(message)
    except ClientError as exc:
        raise Retryable(f"Could not read an attachment: {exc.response.get('Error', {}).get('Code')}") from None
    mail = build(inbox, conversation, message, to_address, files)
    try:
        aws.client("sesv2").send_email(FromEmailAddress=_sender(inbox, conversation),
                          Destination={"ToAddresses": [to_address]}, Content={"Raw": {"Data": mail.as_bytes()}})
    except ClientError as exc:
        error = exc.response.get("Error", {})
        reason = f"SES {error.get('Code')}: {error.get('Message') or 'no details'}"
        if error.get("Code") in RETRYABLE_CODES or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            raise Retryable(reason) from None
        raise Permanent(reason) from None
    except BotoCoreError as exc:  # endpoint unreachable, read timeout
        raise Retryable(f"Could not reach SES: {type(exc).__name__}") from None
    claim_reply_address(conversation)
    return mail["Message-ID"].strip("<> ")
