"""RTF report text to plain text with its line structure (RTF 1.9.1, Microsoft 2008).

What is read, from the specification's "Conventions of an RTF Reader":

* ``\\par``, ``\\line``, ``\\sect``, ``\\page``, ``\\row`` and a backslash before
  a line end give a line end; ``\\tab`` and ``\\cell`` a TAB; ``\\~`` a space,
  ``\\_`` a hyphen, ``\\-`` (optional hyphen) nothing; ``\\\\``, ``\\{`` and
  ``\\}`` the character itself; a few typographic words (``\\emdash``,
  ``\\bullet``, ``\\ldblquote``...) their character.
* ``\\'hh``: a byte in the document's ANSI code page (``\\ansicpgN``, default
  cp1252); consecutive bytes are decoded together (double-byte code pages),
  undecodable bytes become U+FFFD.
* ``\\uN``: the UTF-16 code unit N (signed 16-bit), followed by ``\\ucN``
  fallback characters (default 1) that are skipped; a surrogate pair gives one
  character, a lone surrogate nothing.
* Groups that are destinations not meant for display are skipped with
  everything inside: any group marked ``\\*`` and the destinations in
  :data:`SKIPPED_DESTINATIONS` (font, colour and style tables, document info,
  pictures, objects, headers and footers, field instructions...); ``\\binN``
  skips N characters of binary data.
* Other control words (formatting) are dropped; raw CR and LF are not text;
  text after the outer group is closed is ignored.

Bounds: one pass over the input with a compiled tokenizer (each token is
matched once at a known position), so conversion is linear in the input
length; control word numbers have at most 10 digits (the specification's
limit). Malformed input (unbalanced braces, out-of-range numbers, unknown
code pages) never raises.

Why not ``striprtf``: version 0.0.35 raises on ``\\uc`` without a number, on
``\\u`` numbers out of range, on ``\\bin`` without a length and on bytes its
code page cannot decode, and its hyperlink regex takes seconds on 100 KB of
nested ``{\\field`` groups; a listener must not stop on a sender's report.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

RTF_SIGNATURE = "{\\rtf"

#: Destination control words whose whole group is not displayed text.
SKIPPED_DESTINATIONS = frozenset(
    {
        "author", "buptim", "colortbl", "comment", "company", "creatim", "datastore",
        "doccomm", "fldinst", "fonttbl", "footer", "footerf", "footerl", "footerr",
        "footnote", "generator", "header", "headerf", "headerl", "headerr", "info",
        "keywords", "latentstyles", "listoverridetable", "listtable", "nonshppict",
        "object", "objdata", "operator", "pict", "printim", "revtbl", "revtim",
        "rsidtbl", "shpinst", "stylesheet", "subject", "themedata", "title", "xmlnstbl",
        "colorschememapping", "filetbl", "pgptbl", "bkmkstart", "bkmkend",
    }
)  # fmt: skip

_WORD_TEXT = {
    "par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n",
    "tab": "\t", "cell": "\t", "nestcell": "\t",
    "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022",
    "lquote": "\u2018", "rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d",
    "emspace": " ", "enspace": " ", "qmspace": " ",
}  # fmt: skip
_SYMBOL_TEXT = {"\\": "\\", "{": "{", "}": "}", "~": " ", "_": "-", "-": "", "\n": "\n", "\r": "\n"}

_TOKEN = re.compile(
    r"""
    \\(?P<word>[a-zA-Z]{1,32})(?P<arg>-?\d{1,10})?\x20?  # control word, one space eaten
    | \\'(?P<hex>[0-9a-fA-F]{2})                        # byte in the ANSI code page
    | \\(?P<symbol>[^a-zA-Z'])                          # control symbol
    | \\                                                # lone backslash at the end
    | (?P<brace>[{}])
    | [\r\n]+                                           # not text
    | (?P<text>[^\\{}\r\n]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Group:
    skip: bool = False
    uc: int = 1


class _Reader:
    """One pass over one RTF document; ``out`` collects the text."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.stack: list[_Group] = []
        self.group = _Group()
        self.codepage = "cp1252"
        self.pending: bytearray = bytearray()
        self.high_surrogate: int | None = None
        self.fallback_left = 0
        self.opened = False

    def emit(self, text: str) -> None:
        if not self.group.skip:
            self.flush_bytes()
            self.out.append(text)

    def flush_bytes(self) -> None:
        if self.pending:
            self.out.append(bytes(self.pending).decode(self.codepage, errors="replace"))
            self.pending.clear()

    def brace(self, brace: str) -> bool:
        """Opens or closes a group; False when the outer group is closed (the end)."""
        self.fallback_left = 0
        if brace == "{":
            self.stack.append(self.group)
            self.opened = True
            return True
        if not self.stack:
            return not self.opened
        self.group = self.stack.pop()
        return bool(self.stack)

    def word(self, word: str, arg: str | None) -> None:
        self.fallback_left = 0
        if word in SKIPPED_DESTINATIONS:
            self.group = replace(self.group, skip=True)
        elif word == "ansicpg" and arg:
            self.codepage = _codepage(arg, self.codepage)
        elif word == "uc" and arg:
            self.group = replace(self.group, uc=max(0, min(int(arg), 10)))
        elif word == "u" and arg:
            self.unicode(int(arg))
        elif word in _WORD_TEXT:
            self.emit(_WORD_TEXT[word])

    def unicode(self, value: int) -> None:
        unit = value + 0x10000 if value < 0 else value
        if 0xD800 <= unit <= 0xDBFF:
            self.high_surrogate = unit
        elif 0xDC00 <= unit <= 0xDFFF:
            if self.high_surrogate is not None:
                self.emit(chr(0x10000 + ((self.high_surrogate - 0xD800) << 10) + unit - 0xDC00))
            self.high_surrogate = None
        elif 0 <= unit <= 0xFFFF:
            self.emit(chr(unit))
        self.fallback_left = self.group.uc

    def skip_fallback(self, count: int) -> int:
        """How many of ``count`` characters are ``\\uN`` fallback (skipped)."""
        skipped = min(count, self.fallback_left)
        self.fallback_left -= skipped
        return skipped

    def byte(self, hex_digits: str) -> None:
        if self.skip_fallback(1) or self.group.skip:
            return
        self.pending.append(int(hex_digits, 16))

    def text(self, text: str) -> None:
        self.emit(text[self.skip_fallback(len(text)) :])


#: ``\ansicpgN`` values read (Windows and DOS code pages Python decodes); any
#: other N keeps the current code page. A fixed set: looking up a sender's
#: arbitrary ``cpN`` would add an entry to Python's codec cache per new name.
CODE_PAGES = frozenset(
    {437, 737, 775, 850, 852, 855, 857, 858, 860, 861, 862, 863, 864, 865, 866, 869, 874}
    | {932, 936, 949, 950, 1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258, 65001}
)


def _codepage(arg: str, current: str) -> str:
    digits = arg.lstrip("-")
    if not digits.isdigit() or len(digits) > 5 or int(digits) not in CODE_PAGES:
        return current
    return codecs.lookup(f"cp{digits}").name


def rtf_to_text(rtf: str) -> str:
    """The displayed text of an RTF document, with line ends; never raises."""
    reader = _Reader()
    pos, end = 0, len(rtf)
    while pos < end:
        match = _TOKEN.match(rtf, pos)
        if match is None:  # pragma: no cover - the tokenizer matches every character
            break
        pos = match.end()
        kind = match.lastgroup
        if kind == "brace":
            if not reader.brace(match["brace"]):
                break
        elif kind in ("word", "arg"):
            if match["word"] == "bin" and match["arg"]:
                pos += min(int(match["arg"]), end - pos) if match["arg"][0] != "-" else 0
                continue
            reader.word(match["word"], match["arg"])
        elif kind == "hex":
            reader.byte(match["hex"])
        elif kind == "symbol":
            _symbol(reader, match["symbol"])
        elif kind == "text":
            reader.text(match["text"])
    reader.flush_bytes()
    return "".join(reader.out)


def _symbol(reader: _Reader, symbol: str) -> None:
    if symbol == "*":
        reader.group = replace(reader.group, skip=True)
    elif symbol in _SYMBOL_TEXT and not reader.skip_fallback(1):
        reader.emit(_SYMBOL_TEXT[symbol])
