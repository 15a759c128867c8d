"""HTML or RTF sent as report text, converted to plain text that keeps its lines.

Some RIS put the report as rich text into FT/TX OBX-5 (or NTE-3): HTML
(``<P>FINDINGS:<br>...``, ``&quot;``) or RTF (``{\\rtf1 ... \\par ...}``).
:func:`plain_text` returns such text as the plain text a reader sees, and
every other text unchanged. The stored report text is the converted text and
every NLP offset (findings, recommendations, sections) refers to it, not to
the markup as sent.

Detection is conservative, so plain reports are never touched:

* RTF: the text starts (after blanks) with ``{\\rtf``, the RTF signature.
* HTML: the text holds a tag of a common HTML element (:data:`HTML_TAG`: a
  known name, attributes only in ``name=value`` form), an HTML comment or a
  named or numeric character reference ending in ``;``. ``<5 mm``, ``a < b``
  or ``<IMPRESSION>`` are not HTML.

HTML conversion, as a browser lays the text out: ``br`` ends a line; ``p``,
``h1``-``h6``, ``table`` and ``ul``/``ol`` start and end a paragraph (a blank
line); ``div``, ``li``, ``tr``, ``dt``/``dd``, ``pre``, ``blockquote`` and
``hr`` start and end a line; a table cell ends with a TAB; the content of
``style``, ``script`` and ``title`` (up to its end tag) and comments are dropped; other
known tags (``strong``, ``font``, ``span``, Word's ``o:p``...) are dropped
and their text kept; a tag-like ``<NAME>`` of no known element is kept as
text. Character references are decoded by :func:`html.unescape`. Unlike a
browser, a line end already in the text (from ``\\.br\\`` or one OBX per
line) stays a line end: HL7 structure is never merged away. Finally runs of
spaces become one, lines are trimmed, more than one blank line becomes one,
and control characters other than TAB and line ends are dropped.

Why not :class:`html.parser.HTMLParser`: on Python 3.11.7 it is quadratic on
unclosed tags (CVE-2025-6069; 100 KB of ``<a`` takes 14 s), and report text
comes from the network. Tags are found here by one regular expression whose
match never looks past the next ``<``, so conversion is linear in the input
length.
"""

from __future__ import annotations

import html
import re

from radfollow.hl7.rtf import RTF_SIGNATURE, rtf_to_text

_BREAK = frozenset({"br"})
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"})
_LINE = frozenset({"div", "li", "tr", "dt", "dd", "pre", "blockquote", "hr", "center"})
_CELL = frozenset({"td", "th"})
_HIDDEN = frozenset({"style", "script", "title"})
_INLINE = frozenset(
    {
        "a", "abbr", "b", "big", "body", "caption", "cite", "code", "col", "colgroup",
        "del", "dl", "em", "font", "head", "html", "i", "img", "ins", "label", "link", "mark",
        "meta", "s", "small", "span", "strike", "strong", "sub", "sup", "tbody",
        "tfoot", "thead", "tt", "u", "xml",
    }
)  # fmt: skip
KNOWN_ELEMENTS = _BREAK | _PARAGRAPH | _LINE | _CELL | _HIDDEN | _INLINE

_NAME = r"[A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)?"
_ATTRIBUTES = r"""(?:\s+[A-Za-z_:][-\w:.]*\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+))*"""
#: A comment start, a start or end tag, or a declaration; no tag or declaration can
#: cross a ``<`` or ``>``, so one search never looks past the next ``<``.
_MARKUP = re.compile(
    rf"(?P<comment><!--)|<(?P<slash>/?)(?P<name>{_NAME}){_ATTRIBUTES}\s*/?>"
    r"|(?P<declaration><[!?][^<>]*>)"
)
_ELEMENT_NAMES = "|".join(sorted(KNOWN_ELEMENTS - {"xml"}, key=len, reverse=True))
#: What makes text HTML (see the module docstring).
HTML_TAG = re.compile(
    rf"</?(?:{_ELEMENT_NAMES})(?:{_ATTRIBUTES})\s*/?>"
    r"|<!--|&(?:[A-Za-z]{2,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});",
    re.IGNORECASE,
)
_HIDDEN_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _HIDDEN}
_SPACES = re.compile(r"[^\S\n\t]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_CONTROLS = {code: None for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n"}


def plain_text(text: str) -> str:
    """``text`` converted from RTF or HTML to plain text; any other text unchanged."""
    if text.lstrip().startswith(RTF_SIGNATURE):
        return _tidy(rtf_to_text(text.lstrip()))
    if ("<" in text or "&" in text) and HTML_TAG.search(text):
        return _tidy(html_to_text(text))
    return text


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment or document with its lines (see the module docstring)."""
    layout = _Layout()
    pos, end = 0, len(markup)
    while pos < end:
        match = _MARKUP.search(markup, pos)
        stop = end if match is None else match.start()
        if stop > pos:
            layout.text(_SPACES.sub(" ", _clean(html.unescape(markup[pos:stop]))))
        if match is None:
            break
        pos = _markup(markup, match, layout)
    return "".join(layout.out)


class _Layout:
    """Collects text; a block boundary is written once, as one line end or a blank line,
    however many block tags and blanks meet there."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.pending = 0

    def text(self, piece: str) -> None:
        if self.pending:
            piece = piece.lstrip(" \t\n")
            if not piece:
                return
            self._trim_end()
            if self.out:
                self.out.append("\n" * self.pending)
            self.pending = 0
        self.out.append(piece)

    def boundary(self, line_ends: int) -> None:
        self.pending = max(self.pending, line_ends)

    def _trim_end(self) -> None:
        while self.out and not self.out[-1].strip(" \t\n"):
            self.out.pop()
        if self.out:
            self.out[-1] = self.out[-1].rstrip(" \t\n")


def _markup(markup: str, match: re.Match[str], layout: _Layout) -> int:
    """Lays out one comment, declaration or tag; returns where the text goes on."""
    if match["comment"]:
        close = markup.find("-->", match.end())
        return len(markup) if close == -1 else close + 3
    if match["declaration"]:
        return match.end()
    closing, name = match["slash"] == "/", match["name"].lower()
    if name not in KNOWN_ELEMENTS and ":" not in name:
        layout.text(_clean(match.group(0)))
    elif name in _HIDDEN and not closing:
        hidden_end = _HIDDEN_END[name].search(markup, match.end())
        return len(markup) if hidden_end is None else hidden_end.end()
    elif name in _BREAK:
        layout.text("\n")
    elif name in _PARAGRAPH or name in _LINE:
        layout.boundary(2 if name in _PARAGRAPH else 1)
    elif name in _CELL and closing:
        layout.text("\t")
    return match.end()


def _clean(text: str) -> str:
    """CR and CR LF as LF; other control characters but TAB and LF dropped."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_CONTROLS)


def _tidy(text: str) -> str:
    """Control characters dropped, spaces collapsed, lines trimmed, one blank line at most."""
    lines = [_SPACES.sub(" ", line).strip(" \t") for line in _clean(text).split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")
