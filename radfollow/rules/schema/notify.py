"""Model of ``notify.json``: outreach channels and schedules (issue 17; docs/notifications.md).

Secrets never sit in the file: a channel names the environment variables that
hold its bearer token, SMTP password or HMAC secret.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from radfollow.rules.schema.base import STRICT, RuleFile

Event = Literal["coming_due", "overdue", "uncommunicated_critical", "needs_review"]
#: Fields an e-mail digest may show per follow-up; no report text is ever sent.
DigestField = Literal[
    "accession", "exam_date", "procedure", "recommended", "due_by", "days_overdue",
    "patient_id", "reminder",
]  # fmt: skip


class ChannelBase(BaseModel):
    model_config = STRICT
    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$", description="Unique; shown in statuses.")
    events: tuple[Event, ...] = Field(min_length=1)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    enabled: bool = True


class FhirChannel(ChannelBase):
    """POST a CommunicationRequest (coming due, overdue, needs review) or a
    Communication (uncommunicated critical) to ``base_url``."""

    kind: Literal["fhir"]
    base_url: str = Field(pattern=r"^https?://")
    token_env: str | None = Field(default=None, description="Env var of the bearer token.")


class WebhookChannel(ChannelBase):
    """POST JSON, signed with HMAC-SHA256 over ``timestamp + "." + body``."""

    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    secret_env: str = Field(description="Env var holding the HMAC secret.")


class EmailChannel(ChannelBase):
    """One digest message per ordering provider over SMTP (STARTTLS unless told not)."""

    kind: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    subject: str = "radfollow: follow-up imaging for your patients"
    #: Ordering provider (as stored from ORC-12 / OBR-16) -> address.
    recipients: dict[str, str] = Field(default_factory=dict)
    #: Where events whose provider has no address go; None: they are not sent.
    fallback_recipient: str | None = None
    fields: tuple[DigestField, ...] = ("accession", "exam_date", "recommended", "due_by")
    #: A CA bundle to trust for STARTTLS (a site's own CA); None: the system's.
    ca_file: str | None = None

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        for address in value.values():
            if "@" not in address:
                raise ValueError("every recipient must be an e-mail address")
        return value


Channel = Annotated[FhirChannel | WebhookChannel | EmailChannel, Field(discriminator="kind")]


class NotifySchedule(BaseModel):
    model_config = STRICT
    coming_due: bool = True
    overdue: bool = True
    reminder_every_days: float = Field(default=7, gt=0)
    reminder_limit: int = Field(default=3, ge=1, le=100)
    overdue_horizon_days: float = Field(default=180, gt=0)
    #: Events older than this are not planned for a channel (no flood of history).
    plan_within_days: float = Field(default=14, gt=0)


class Retry(BaseModel):
    model_config = STRICT
    attempts: int = Field(default=8, ge=1, le=100)
    base_seconds: float = Field(default=30, gt=0)
    longest_seconds: float = Field(default=3600, gt=0)
    lease_seconds: float = Field(default=300, gt=0)


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
