"""The message's own encoding characters, read from MSH-1 and MSH-2."""

from __future__ import annotations

from dataclasses import dataclass

from radfollow.errors import HL7ParseError

DEFAULT_ENCODING_CHARACTERS = "^~\\&"


@dataclass(frozen=True)
class Delimiters:
    """Field, component, repetition, escape and sub-component characters."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @classmethod
    def from_msh(cls, msh: str) -> Delimiters:
        """Read MSH-1/MSH-2 from the text of an MSH segment.

        Missing trailing encoding characters take their defaults (as python-hl7
        does); a fifth character (the v2.7 truncation character) is ignored.
        """
        if len(msh) < 5 or not msh.startswith("MSH"):
            raise HL7ParseError("MSH segment too short to hold MSH-1 and MSH-2")
        field = msh[3]
        end = msh.find(field, 4)
        encoding = msh[4:] if end == -1 else msh[4:end]
        if not encoding:
            raise HL7ParseError("MSH-2 encoding characters are empty")
        chars = encoding[:4] + DEFAULT_ENCODING_CHARACTERS[len(encoding[:4]) :]
        found = cls(field, chars[0], chars[1], chars[2], chars[3])
        found.check()
        return found

    def check(self) -> None:
        chars = [self.field, self.component, self.repetition, self.escape, self.subcomponent]
        if len(set(chars)) != len(chars):
            raise HL7ParseError(f"MSH-1/MSH-2 delimiters are not distinct: {''.join(chars)!r}")
        for char in chars:
            if not (char.isascii() and char.isprintable()) or char.isalnum() or char == " ":
                raise HL7ParseError(f"invalid HL7 delimiter {char!r} in MSH-1/MSH-2")
