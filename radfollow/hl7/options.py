"""How a site's HL7 feed is read: accession fields, local time zone, site rule files.

One frozen, picklable value shared by ``radfollow process``, the listener
(receiver and workers) and the Spark job, so each reads messages the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from radfollow.hl7.adapter import DEFAULT_ACCESSION_FIELDS, accession_refs, parse_message
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.header import read_header
from radfollow.hl7.orders import ORDER_MESSAGE_TYPES, parse_order_message
from radfollow.models import OrderEvent, RadiologyReport
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import CharsetRules, ModalityRules, PlaceholderRules


@dataclass(frozen=True)
class HL7Options:
    """``accession_fields``: where the accession is read, in order (``OBR-3``...);
    ``default_tz``: zone of HL7 times sent without an offset; ``rules_dir``: a
    site's rules folder (its ``modalities.json``, ``charsets.json`` and
    ``placeholders.json`` replace the packaged ones)."""

    accession_fields: tuple[str, ...] = DEFAULT_ACCESSION_FIELDS
    default_tz: tzinfo = UTC
    rules_dir: Path | None = None
    #: The rule files of ``rules_dir``, loaded once (not per message).
    modality_rules: ModalityRules = field(init=False, repr=False, compare=False)
    charset_rules: CharsetRules = field(init=False, repr=False, compare=False)
    placeholder_rules: PlaceholderRules = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Raises RuleFileError now, not per message, when a site's rule file is broken."""
        object.__setattr__(self, "modality_rules", load_rules(ModalityRules, self.rules_dir))
        object.__setattr__(self, "charset_rules", load_rules(CharsetRules, self.rules_dir))
        object.__setattr__(self, "placeholder_rules", load_rules(PlaceholderRules, self.rules_dir))

    @classmethod
    def from_settings(
        cls,
        timezone: str = "UTC",
        accession_fields: str | Sequence[str] = DEFAULT_ACCESSION_FIELDS,
        rules_dir: Path | None = None,
    ) -> HL7Options:
        """Options from command-line style values.

        Raises ValueError naming the bad setting: an unknown IANA time zone, or an
        accession field that is not ``OBR-<n>``/``ORC-<n>``.
        """
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {timezone!r}") from error
        fields = (
            tuple(f.strip() for f in accession_fields.split(","))
            if isinstance(accession_fields, str)
            else tuple(accession_fields)
        )
        accession_refs(fields)  # raises ValueError
        return cls(fields, zone, rules_dir)

    def is_order(self, raw: RawMessage) -> bool:
        """Whether MSH-9 names an order or appointment message (ORM^O01, OMI^O23, SIU^S12...)."""
        header = read_header(raw.data, charset_rules=self.charset_rules)
        return (
            header is not None and f"{header.message_type}^{header.trigger}" in ORDER_MESSAGE_TYPES
        )

    def parse_orders(self, raw: RawMessage) -> list[OrderEvent]:
        """The order or appointment events of one ORM/OMI/SIU message; raises HL7Error."""
        return parse_order_message(
            raw,
            default_tz=self.default_tz,
            modality_rules=self.modality_rules,
            charset_rules=self.charset_rules,
        )

    def parse(self, raw: RawMessage) -> list[RadiologyReport]:
        """The reports of one message (one per OBR group with text); raises HL7Error."""
        return parse_message(
            raw,
            accession_fields=self.accession_fields,
            default_tz=self.default_tz,
            modality_rules=self.modality_rules,
            charset_rules=self.charset_rules,
            placeholder_rules=self.placeholder_rules,
        )
