"""Model of ``notify.json``: outreach channels and schedules (issue 17; docs/notifications.md).

Secrets never sit in the file: a channel names the environment variables that
hold its bearer token, SMTP password or HMAC secret.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator, model_validator

from radfollow.rules.schema.base import STRICT, RuleFile

Event = Literal["coming_due", "overdue", "uncommunicated_critical", "needs_review"]
#: Fields an e-mail digest may show per follow-up; no report text is ever sent.
DigestField = Literal[
    "accession", "exam_date", "procedure", "recommended", "due_by", "days_overdue",
    "patient_id", "reminder",
]  # fmt: skip


#: An e-mail address: no space, no line break, one "@".
ADDRESS = r"^[^@\s]+@[^@\s]+$"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _loopback(url_or_host: str) -> bool:
    host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
    return (host or "") in LOOPBACK


class ChannelBase(BaseModel):
    model_config = STRICT
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$", description="Unique; shown in statuses.")
    events: tuple[Event, ...] = Field(min_length=1)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    enabled: bool = True
    #: Allow plain http (or SMTP without STARTTLS) to a host that is not loopback.
    allow_insecure: bool = False

    @field_validator("events")
    @classmethod
    def _distinct(cls, events: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(events)) != len(events):
            raise ValueError("an event is listed twice")
        return events


class FhirChannel(ChannelBase):
    """POST a CommunicationRequest (coming due, overdue, needs review) or a
    Communication (uncommunicated critical) to ``base_url``."""

    kind: Literal["fhir"]
    base_url: str = Field(pattern=r"^https?://[^\s/]+")
    token_env: str | None = Field(default=None, description="Env var of the bearer token.")

    @model_validator(mode="after")
    def _tls(self) -> FhirChannel:
        if self.base_url.startswith("http://") and not (
            _loopback(self.base_url) or self.allow_insecure
        ):
            raise ValueError("base_url must be https (patient identifiers, a bearer token)")
        return self


class WebhookChannel(ChannelBase):
    """POST JSON, signed with HMAC-SHA256 over ``timestamp + "." + body``."""

    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://[^\s/]+")
    secret_env: str = Field(description="Env var holding the HMAC secret.")

    @model_validator(mode="after")
    def _tls(self) -> WebhookChannel:
        if self.url.startswith("http://") and not (_loopback(self.url) or self.allow_insecure):
            raise ValueError("url must be https (patient identifiers)")
        return self


class EmailChannel(ChannelBase):
    """One digest message per ordering provider over SMTP (STARTTLS unless told not)."""

    kind: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None
    sender: str = Field(pattern=ADDRESS)
    subject: str = "radfollow: follow-up imaging for your patients"
    #: Ordering provider (as stored from ORC-12 / OBR-16) -> address.
    recipients: dict[str, str] = Field(default_factory=dict)
    #: Where events whose provider has no address go; None: they are not sent.
    fallback_recipient: str | None = Field(default=None, pattern=ADDRESS)
    fields: tuple[DigestField, ...] = ("accession", "exam_date", "recommended", "due_by")
    #: A CA bundle to trust for STARTTLS (a site's own CA); None: the system's.
    ca_file: str | None = None

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        for address in value.values():
            if not re.fullmatch(ADDRESS, address):
                raise ValueError("every recipient must be one e-mail address")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> EmailChannel:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("username_env and password_env go together")
        if not self.starttls and not (_loopback(self.host) or self.allow_insecure):
            raise ValueError("starttls may be off only for a relay on loopback")
        return self


Channel = Annotated[FhirChannel | WebhookChannel | EmailChannel, Field(discriminator="kind")]


class NotifySchedule(BaseModel):
    model_config = STRICT
    coming_due: bool = True
    overdue: bool = True
    reminder_every_days: float = Field(default=7, gt=0)
    reminder_limit: int = Field(default=3, ge=1, le=100)
    overdue_horizon_days: float = Field(default=180, gt=0)
    #: Events written longer ago are not planned for a channel (no flood of history).
    plan_within_days: float = Field(default=14, gt=0)
    #: Events about an exam older than this (a backfill) are not planned.
    event_horizon_days: float = Field(default=30, gt=0)


class Retry(BaseModel):
    model_config = STRICT
    attempts: int = Field(default=8, ge=1, le=40)
    base_seconds: float = Field(default=30, gt=0, le=86_400)
    longest_seconds: float = Field(default=3600, gt=0, le=7 * 86_400)
    lease_seconds: float = Field(default=300, gt=0, le=86_400)

    @model_validator(mode="after")
    def _order(self) -> Retry:
        if self.longest_seconds < self.base_seconds:
            raise ValueError("longest_seconds must be at least base_seconds")
        return self


class NotifyRules(RuleFile):
    """``notify.json``: the site's channels, schedule and retry policy (none by default)."""

    file_name: ClassVar[str] = "notify.json"
    description: str
    channels: tuple[Channel, ...] = ()
    schedule: NotifySchedule = NotifySchedule()
    retry: Retry = Retry()

    @field_validator("channels")
    @classmethod
    def _unique(cls, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        names = [c.name for c in channels]
        if len(names) != len(set(names)):
            raise ValueError("channel names must be unique")
        return channels

    @model_validator(mode="after")
    def _lease(self) -> NotifyRules:
        """A lease shorter than a send would let another sender take a row mid-send."""
        longest = max((c.timeout_seconds for c in self.channels), default=0)
        if self.retry.lease_seconds < 3 * longest:
            raise ValueError("retry.lease_seconds must be at least 3 times every timeout_seconds")
        return self
