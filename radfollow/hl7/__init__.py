"""HL7 v2 input: files to raw messages (framing), raw messages to reports (adapter).

The rule files (``charsets.json``, ``modalities.json``, ``placeholders.json``) live in
``radfollow/rules/``;
load a site's with ``radfollow.rules.loader.load_rules(ModalityRules, rules_dir)``.
"""

from radfollow.hl7.adapter import DEFAULT_ACCESSION_FIELDS, parse_message, peek_control_id
from radfollow.hl7.framing import RawMessage, iter_files, iter_raw_messages, split_messages
from radfollow.rules.schema import CharsetRules, ModalityRules, PlaceholderRules

__all__ = [
    "DEFAULT_ACCESSION_FIELDS",
    "CharsetRules",
    "ModalityRules",
    "PlaceholderRules",
    "RawMessage",
    "iter_files",
    "iter_raw_messages",
    "parse_message",
    "peek_control_id",
    "split_messages",
]
