"""Error catalogue: every error radfollow raises has a code and a class.

Library code raises these; only the CLI turns them into exit codes.
"""

from __future__ import annotations

import os
import re
import traceback

#: What a coded value looks like (message type, version, charset name, status):
#: short, letters, digits and a few separators. Reasons quote nothing else.
_CODE_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./_^-]{0,23}")


def quoted_code(value: str) -> str:
    """``'value'`` when ``value`` has the shape of a code from an HL7 table; else a
    placeholder. Error reasons are stored and logged, so a malformed field that
    might carry a name or an identifier is never echoed."""
    return repr(value) if _CODE_SHAPE.fullmatch(value) else "(a value that is not a code)"


class RadfollowError(Exception):
    """Base class. ``code`` is stable and appears in errors.ndjson."""

    code = "RF000"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class RuleFileError(RadfollowError):
    """A rule file is missing, not JSON, or fails its schema."""

    code = "RF100"


class InputFormatError(RadfollowError):
    """A plain-text JSONL input line is unusable."""

    code = "RF200"


class InputReadError(RadfollowError):
    """An input file or folder cannot be read (permissions, I/O error)."""

    code = "RF201"


class ReportTooLargeError(RadfollowError):
    """A report text is over the maximum report size (``PipelineConfig.max_length``)."""

    code = "RF202"


class InputFileError(RadfollowError):
    """An input file is unusable as a whole: not a regular file (a FIFO, a socket, a
    device), over the size limit, or holding no message (empty, whitespace or batch
    header and trailer segments only)."""

    code = "RF203"


class HL7Error(RadfollowError):
    """Base of HL7 input errors."""

    code = "RF300"


class HL7ParseError(HL7Error):
    """The message cannot be parsed as HL7 v2 (no MSH, bad delimiters, ...)."""

    code = "RF301"


class HL7UnsupportedMessageError(HL7Error):
    """Parsed, but not an ORU^R01 (ADT, ORM, ...)."""

    code = "RF302"


class HL7MissingDataError(HL7Error):
    """An ORU^R01 without what a report needs (no OBR, no report text, no patient id)."""

    code = "RF303"


class HL7DecodeError(HL7Error):
    """The bytes cannot be decoded in the declared or fallback charset."""

    code = "RF304"


class HL7TestMessageError(HL7Error):
    """MSH-11 (processing id, HL7 table 0103) is not P (production): a test (T) or
    debugging (D) message is kept out of the production tracker unless test
    messages are accepted (``--accept-test-messages``)."""

    code = "RF305"


class HL7FieldLengthError(HL7Error):
    """A value the tracker keys on (PID-3, its assigning authority, OBR-18/ACC,
    MSH-4) is longer than the tracker's column for it."""

    code = "RF306"


class FHIRMappingError(RadfollowError):
    """A report could not be mapped to a valid FHIR R4 Bundle."""

    code = "RF400"


class EvaluationError(RadfollowError):
    """Gold and prediction files do not line up."""

    code = "RF500"


class ModelError(RadfollowError):
    """The classifier's encoder or head cannot be loaded or does not match its pin."""

    code = "RF600"


class TrackerError(RadfollowError):
    """The tracker database cannot be opened, or an action on it is invalid."""

    code = "RF700"


class TrackerWriteError(TrackerError):
    """The database refused one report (a constraint, a value it cannot store, a lost
    connection). The reason names the database error's class, never its message or
    parameters, which quote report values."""

    code = "RF701"


class TrackerURLError(TrackerError):
    """``--db`` is neither a database URL SQLAlchemy can use nor a file path."""

    code = "RF702"


class TrackerOpenError(TrackerError):
    """The tracker database cannot be opened: its folder is missing, the path is a
    folder or not a regular file, permission denied, the server does not answer. The
    reason names the path (a URL without its password), never the file's contents."""

    code = "RF703"


class NotADatabaseError(TrackerError):
    """The path holds a file that is not a SQLite database (text, JSONL, ...)."""

    code = "RF704"


class CorruptDatabaseError(TrackerError):
    """A SQLite database file that SQLite finds malformed."""

    code = "RF705"


class SchemaVersionError(TrackerError):
    """The database's schema revision is unknown to this radfollow (written by a
    newer version), or its tables cannot be brought to the current revision."""

    code = "RF706"


class NoTrackerError(TrackerError):
    """A command that works on an existing tracker (``tracker list``, ``show``,
    ``stats``, ``close``, ``reopen``) was given a database that holds none: a SQLite
    file that does not exist or is empty, a database without the tracker's schema (no
    ``alembic_version`` table). Such commands never create one; ``radfollow process
    --db`` and the listener do."""

    code = "RF707"


class NotifyError(RadfollowError):
    """Outreach is misconfigured (a channel's secret is missing from the environment)."""

    code = "RF800"


class DeliveryError(NotifyError):
    """One delivery attempt failed. ``retryable``: a timeout, a refused connection, an
    HTTP 5xx, 408 or 429, a temporary SMTP error; otherwise the receiver refused it
    (HTTP 4xx, a permanent SMTP error) and retrying would not help. The message names
    the failure (status code, error class), never a payload value."""

    code = "RF801"

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class InternalError(RadfollowError):
    """An unexpected exception while processing one input unit (a bug). The reason
    names the exception class only: exception messages may quote report values."""

    code = "RF900"


class WorkerLostError(RadfollowError):
    """A worker process died while processing this unit, twice (killed, out of
    memory, a crash in native code); the other units go on in new processes."""

    code = "RF901"


def contained(error: BaseException) -> RadfollowError:
    """``error`` as a catalogued error whose message is safe to show and store.

    radfollow's own errors are returned as they are (their messages name fields,
    never values); anything else becomes an :class:`InternalError` naming only
    the exception class.
    """
    if isinstance(error, RadfollowError):
        return error
    return InternalError(f"internal error ({type(error).__name__})")


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def error_location(error: BaseException) -> str:
    """``file:line in function`` of the innermost radfollow frame, and of the innermost
    frame when that is in a library: for -v logs, never values."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "unknown location"
    ours = [f for f in frames if os.path.abspath(f.filename).startswith(_PACKAGE + os.sep)]
    last = frames[-1]
    shown = ours[-1] if ours else last
    text = f"{_relative(shown.filename)}:{shown.lineno} in {shown.name}"
    if shown is not last:
        text += f" (raised in {_relative(last.filename)}:{last.lineno} in {last.name})"
    return text


def _relative(filename: str) -> str:
    path = os.path.abspath(filename)
    root = os.path.dirname(_PACKAGE)
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else filename
