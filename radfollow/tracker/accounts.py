"""Local accounts and signed-in sessions of the review app, stored in the tracker.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended parameter set); only the hash is stored. Sign-in is throttled per
account: after ``MAX_FAILURES`` failures in a row the account is locked for
``LOCKOUT`` (OWASP Authentication Cheat Sheet, "Account lockout"); a success
resets the count. A session is a random 256-bit token in the browser's cookie;
the database keeps its SHA-256 only, with the session's CSRF token. A session
idle for longer than the idle timeout is gone (OWASP Session Management Cheat
Sheet: 15-30 minutes for high-value data).

Errors: TrackerError for an unknown role, a blank or taken name, a short
password; ``authenticate`` returns None (never says which part was wrong).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from radfollow.errors import TrackerError
from radfollow.tracker.schema import User, WebSession

#: Failures in a row before an account is locked, and for how long.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
#: A session unused this long is signed out.
IDLE_TIMEOUT = timedelta(minutes=30)
#: NIST SP 800-63B 5.1.1.2: memorized secrets of at least 8 characters.
MIN_PASSWORD = 8

_HASHER = PasswordHasher()
#: Verified against when the name is unknown, so both cases take as long.
_DUMMY_HASH = _HASHER.hash("radfollow-no-such-user")


class Role(StrEnum):
    """viewer: reads; reviewer: also acts on recommendations; admin: also manages users."""

    VIEWER = "viewer"
    REVIEWER = "reviewer"
    ADMIN = "admin"


_RANK = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.ADMIN: 2}


def allows(role: str, needed: Role) -> bool:
    """Whether ``role`` may do what ``needed`` may (admin > reviewer > viewer)."""
    return role in _RANK and _RANK[Role(role)] >= _RANK[needed]


class Account(BaseModel):
    """A user as the app sees them (never the hash)."""

    id: int
    name: str
    role: Role
    active: bool


def _account(user: User) -> Account:
    return Account(id=user.id, name=user.name, role=Role(user.role), active=user.active)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise TrackerError(f"the password must have at least {MIN_PASSWORD} characters")


def add_user(session: Session, name: str, *, role: str, password: str, at: datetime) -> Account:
    """Create ``name`` with ``role`` (viewer, reviewer or admin) and ``password``."""
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise TrackerError("a user name is 1 to 64 characters without spaces")
    if role not in {r.value for r in Role}:
        raise TrackerError(f"unknown role {role!r}; roles: viewer, reviewer, admin")
    _check_password(password)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise TrackerError(f"user {name!r} exists")
    user = User(
        name=name,
        role=role,
        password_hash=_HASHER.hash(password),
        active=True,
        failed_logins=0,
        created_at=at,
    )
    session.add(user)
    session.flush()
    return _account(user)


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise TrackerError(f"no user {name!r}")
    return user


def set_password(session: Session, name: str, password: str) -> None:
    """Replace ``name``'s password, unlock the account and sign out its sessions."""
    _check_password(password)
    user = _user(session, name)
    user.password_hash = _HASHER.hash(password)
    user.failed_logins, user.locked_until = 0, None
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def set_role(session: Session, name: str, role: str) -> Account:
    if role not in {r.value for r in Role}:
        raise TrackerError(f"unknown role {role!r}; roles: viewer, reviewer, admin")
    user = _user(session, name)
    user.role = role
    return _account(user)


def set_active(session: Session, name: str, active: bool) -> Account:
    """Enable or disable ``name``; disabling signs out its sessions."""
    user = _user(session, name)
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return _account(user)


def users(session: Session) -> list[Account]:
    return [_account(u) for u in session.scalars(select(User).order_by(User.name))]


def user_names(session: Session) -> list[str]:
    """Active users' names (assignees)."""
    return list(session.scalars(select(User.name).where(User.active).order_by(User.name)))


def authenticate(session: Session, name: str, password: str, *, at: datetime) -> Account | None:
    """The account when ``password`` is right and the account active and unlocked.

    A wrong password counts a failure and locks the account after
    ``MAX_FAILURES``; while locked even the right password is refused."""
    user = session.scalar(select(User).where(User.name == name.strip()))
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    if user.locked_until is not None and user.locked_until > at:
        return None
    if not user.active or not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = at + LOCKOUT, 0
        return None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, at
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return _account(user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignedIn(BaseModel):
    """A live session: its user and CSRF token."""

    account: Account
    csrf_token: str


def start_session(session: Session, account: Account, *, at: datetime) -> str:
    """A new session for ``account``; returns the cookie token (not stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=account.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=at,
            last_seen_at=at,
        )
    )
    return token


def resume_session(
    session: Session, token: str, *, at: datetime, idle: timedelta = IDLE_TIMEOUT
) -> SignedIn | None:
    """The session of cookie ``token`` when it is live (not idle past ``idle``, its
    user active); marks it seen at ``at``. An idle session is deleted."""
    row = session.get(WebSession, _digest(token)) if token else None
    if row is None:
        return None
    if at - row.last_seen_at > idle or not row.user.active:
        session.delete(row)
        return None
    row.last_seen_at = at
    return SignedIn(account=_account(row.user), csrf_token=row.csrf_token)


def end_session(session: Session, token: str) -> None:
    """Sign out the session of cookie ``token`` (nothing when there is none)."""
    session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def purge_sessions(session: Session, *, at: datetime, idle: timedelta = IDLE_TIMEOUT) -> int:
    """Delete sessions idle past ``idle``; returns how many."""
    result = session.execute(delete(WebSession).where(WebSession.last_seen_at < at - idle))
    return int(getattr(result, "rowcount", 0) or 0)
