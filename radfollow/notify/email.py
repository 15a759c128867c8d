"""The e-mail channel: one digest per ordering provider over SMTP with STARTTLS.

A digest lists the provider's events claimed together (overdue follow-ups,
reminders, critical results without documented communication), one line each,
with only the fields the site chose (``fields``: by default accession, exam
date, the recommended exam and its due date; never report text). Its
Message-ID is derived from the events' keys, so a digest sent again after a
crash is the same message to the receiving server and the reader's client.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from radfollow.errors import DeliveryError, NotifyError
from radfollow.notify.content import EVENT_TEXT, Notice
from radfollow.rules.schema.notify import EmailChannel


def address_of(channel: EmailChannel, recipient: str | None) -> str | None:
    """The address of an ordering provider as stored; the fallback; or None."""
    if recipient is not None and recipient in channel.recipients:
        return channel.recipients[recipient]
    return channel.fallback_recipient


def _line(channel: EmailChannel, notice: Notice, now: datetime) -> str:
    due = notice.due_date()
    values = {
        "accession": f"accession {notice.accession}",
        "exam_date": f"exam {notice.exam_date.isoformat()}",
        "procedure": notice.procedure or "",
        "recommended": f"recommended {notice.recommended}" if notice.recommended else "",
        "due_by": f"due by {due.isoformat()}" if due else "",
        "days_overdue": f"{notice.days_overdue(now)} days overdue"
        if notice.days_overdue(now) is not None
        else "",
        "patient_id": f"patient {notice.patient_id}",
        "reminder": f"reminder {notice.sequence - 1}" if notice.sequence > 1 else "",
    }
    parts = [values[f] for f in channel.fields if values[f]]
    if notice.critical:
        parts.append("result: " + ", ".join(notice.critical))
    return f"- {EVENT_TEXT[notice.event]}: " + "; ".join(parts)


def digest(
    channel: EmailChannel, address: str, notices: Sequence[Notice], now: datetime
) -> EmailMessage:
    """The digest message of ``notices`` for ``address``."""
    message = EmailMessage()
    message["Subject"] = channel.subject
    message["From"] = channel.sender
    message["To"] = address
    message["Date"] = format_datetime(now)
    keys = "|".join(sorted(n.key for n in notices)) + "|" + channel.name + "|" + address
    message["Message-ID"] = f"<{hashlib.sha256(keys.encode()).hexdigest()[:40]}@radfollow>"
    lines = [
        "These follow-up items for your patients need attention:",
        "",
        *(_line(channel, n, now) for n in notices),
        "",
        "Open the follow-up worklist for details. This message holds no report text.",
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_email(channel: EmailChannel, message: EmailMessage) -> None:
    """Send one message; raises DeliveryError (retryable for connection failures,
    timeouts and SMTP 4xx) or NotifyError when a configured credential is unset."""
    user = os.environ.get(channel.username_env) if channel.username_env else None
    password = os.environ.get(channel.password_env) if channel.password_env else None
    if channel.username_env and (not user or not password):
        raise NotifyError(
            f"channel {channel.name}: SMTP credentials are not set in the environment"
        )
    try:
        with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds) as smtp:
            smtp.ehlo()
            if channel.starttls:
                context = ssl.create_default_context(cafile=channel.ca_file)
                smtp.starttls(context=context)
                smtp.ehlo()
            if user and password:
                smtp.login(user, password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise DeliveryError(
            f"SMTP recipient refused ({', '.join(map(str, codes))})",
            retryable=all(400 <= c < 500 for c in codes),
        ) from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(
            f"SMTP {error.smtp_code}", retryable=400 <= error.smtp_code < 500
        ) from None
    except (TimeoutError, smtplib.SMTPException, ssl.SSLError, OSError) as error:
        raise DeliveryError(
            f"SMTP connection failed ({type(error).__name__})", retryable=True
        ) from None
