"""Outreach (issue 17): deliver the tracker's outbox through FHIR, e-mail and webhooks.

:mod:`radfollow.tracker.outbox` records events durably; this package plans,
sends and settles their deliveries (:class:`~radfollow.notify.sender.Sender`),
configured by ``rules/notify.json`` (docs/notifications.md).
"""

from radfollow.notify.sender import Sender, SendReport

__all__ = ["SendReport", "Sender"]
