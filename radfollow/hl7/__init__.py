"""HL7 v2 input: files to raw messages (framing), raw messages to reports (adapter)."""

from radfollow.hl7.adapter import DEFAULT_ACCESSION_FIELDS, parse_message, peek_control_id
from radfollow.hl7.charset import CharsetRules, load_charset_rules
from radfollow.hl7.framing import RawMessage, iter_files, iter_raw_messages, split_messages
from radfollow.hl7.modality import ModalityRules, load_modality_rules

__all__ = [
    "DEFAULT_ACCESSION_FIELDS",
    "CharsetRules",
    "ModalityRules",
    "RawMessage",
    "iter_files",
    "iter_raw_messages",
    "load_charset_rules",
    "load_modality_rules",
    "parse_message",
    "peek_control_id",
    "split_messages",
]
