"""Portal accounts, logins and sessions, kept in the workspace's ledger (docs/portal.md#accounts).

Passwords are stored only as argon2id hashes. A session is a random token in
an HttpOnly cookie; the ledger keeps only its SHA-256, with the CSRF token
bound to it, so logging out or disabling an account revokes it at once.
Nothing here logs or returns a password or a token except to its owner.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.ledger import Ledger

MAX_FAILED = 5  # failed logins in a row before the account locks
LOCK = timedelta(minutes=15)
SESSION_HOURS = 8  # a session ends 8 hours after login, or at logout, or when its account is disabled
ANONYMOUS_HOURS = 1  # the pre-login session that carries the login form's CSRF token
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not a password of anyone")  # an unknown name costs as much as a wrong password


class AccountError(InputError):
    def __init__(self, message: str) -> None:
        super().__init__([Issue("portal", None, None, message)], message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str  # partner / manager
    partner_id: str | None
    must_change: bool
    disabled_at: str | None
    created_by: str
    created_at: str
    locked_until: str | None


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    account: Account | None  # None: not logged in yet (the login form's session)
    csrf: str


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(row: object) -> Account:
    r = row  # sqlite3.Row
    return Account(
        r["name"],  # type: ignore[index]
        r["role"],  # type: ignore[index]
        r["partner_id"],  # type: ignore[index]
        bool(r["must_change"]),  # type: ignore[index]
        r["disabled_at"],  # type: ignore[index]
        r["created_by"],  # type: ignore[index]
        r["created_at"],  # type: ignore[index]
        r["locked_until"],  # type: ignore[index]
    )


def get_account(ledger: Ledger, name: str) -> Account | None:
    row = ledger.conn.execute("SELECT * FROM portal_accounts WHERE name = ?", (name,)).fetchone()
    return _account(row) if row else None


def list_accounts(ledger: Ledger) -> list[Account]:
    return [_account(r) for r in ledger.conn.execute("SELECT * FROM portal_accounts ORDER BY name")]


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def add_account(ledger: Ledger, name: str, partner_id: str | None, user: str, now: datetime) -> str:
    """Create an account (partner role with ``partner_id``, else manager); returns its one-time
    password, which is shown once and must be changed at the first login."""
    name = name.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise AccountError(t("not_account_name", name=repr(name)))
    password = one_time_password()
    with ledger.write() as c:
        if c.execute("SELECT 1 FROM portal_accounts WHERE name = ?", (name,)).fetchone():
            raise AccountError(t("account_exists", name=repr(name)))
        if (
            partner_id is not None
            and not c.execute("SELECT 1 FROM partner_results WHERE partner_id = ? LIMIT 1", (partner_id,)).fetchone()
        ):
            raise AccountError(t("never_assessed", partner=partner_id))
        c.execute(
            "INSERT INTO portal_accounts (name, role, partner_id, password_hash, must_change, created_by, created_at)"
            " VALUES (?, ?, ?, ?, 1, ?, ?)",
            (name, "partner" if partner_id else "manager", partner_id, _HASHER.hash(password), user, stamp(now)),
        )
        detail = {"account": name, "role": "partner" if partner_id else "manager", "partner_id": partner_id}
        ledger.add_event(c, "portal user add", "", user, "", json.dumps(detail))
    return password


def disable_account(ledger: Ledger, name: str, user: str, now: datetime) -> int:
    """Disable an account and revoke its sessions; returns how many sessions were revoked."""
    with ledger.write() as c:
        account = c.execute("SELECT disabled_at FROM portal_accounts WHERE name = ?", (name,)).fetchone()
        if account is None:
            raise AccountError(t("no_account", name=repr(name)))
        if account[0] is not None:
            raise AccountError(t("account_disabled_already", name=name, at=account[0]))
        c.execute("UPDATE portal_accounts SET disabled_at = ? WHERE name = ?", (stamp(now), name))
        revoked = c.execute(
            "UPDATE portal_sessions SET revoked_at = ? WHERE account = ? AND revoked_at IS NULL", (stamp(now), name)
        ).rowcount
        ledger.add_event(c, "portal user disable", "", user, "", json.dumps({"account": name, "sessions": revoked}))
    return revoked


# --- sessions --------------------------------------------------------------------------------------


def new_session(ledger: Ledger, account: str | None, now: datetime) -> tuple[str, str]:
    """A new session; returns the cookie's token and the CSRF token. Only the token's hash is kept."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    hours = SESSION_HOURS if account else ANONYMOUS_HOURS
    with ledger.write() as c:
        c.execute(
            "INSERT INTO portal_sessions (token_hash, account, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (_hash(token), account, csrf, stamp(now), stamp(now + timedelta(hours=hours))),
        )
        # expired sessions are of no use to anyone: drop them as new ones are made
        c.execute("DELETE FROM portal_sessions WHERE expires_at < ?", (stamp(now - timedelta(days=1)),))
    return token, csrf


def session(ledger: Ledger, token: str | None, now: datetime) -> Session | None:
    """The live session of a cookie's token (None: none, expired, revoked, or its account disabled)."""
    if not token:
        return None
    row = ledger.conn.execute(
        "SELECT s.token_hash, s.account, s.csrf, s.expires_at, s.revoked_at FROM portal_sessions s"
        " WHERE s.token_hash = ?",
        (_hash(token),),
    ).fetchone()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= stamp(now):
        return None
    account = None
    if row["account"] is not None:
        account = get_account(ledger, row["account"])
        if account is None or account.disabled_at is not None:
            return None
    return Session(row["token_hash"], account, row["csrf"])


def csrf_ok(s: Session, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(s.csrf.encode(), str(given).encode())


def revoke(ledger: Ledger, s: Session, now: datetime, *, event: bool = True) -> None:
    with ledger.write() as c:
        c.execute("UPDATE portal_sessions SET revoked_at = ? WHERE token_hash = ?", (stamp(now), s.token_hash))
        if event and s.account is not None:
            ledger.add_event(c, "portal logout", "", s.account.name, "", "{}")


# --- logging in ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Login:
    account: Account | None  # set when the password was right and the account may log in
    why: str  # ok / wrong / locked / disabled


def login(ledger: Ledger, name: str, password: str, address: str, now: datetime) -> Login:
    """Check a login. Five failures in a row lock the account for 15 minutes, whatever session or
    address they came from; while locked, even the right password is refused. Each attempt on an
    account is an event (the password never is)."""
    with ledger.write() as c:
        row = c.execute("SELECT * FROM portal_accounts WHERE name = ?", (name,)).fetchone()
        if row is None:
            with contextlib.suppress(VerificationError):
                _HASHER.verify(_DUMMY, password)
            # the name typed is not kept: a password typed into the name field must not reach the log
            ledger.add_event(c, "portal login failed", "", "-", "", json.dumps({"why": "unknown", "from": address}))
            return Login(None, "wrong")
        account = _account(row)
        failed = row["failed_logins"]
        if account.locked_until is not None and account.locked_until > stamp(now):
            ledger.add_event(c, "portal login failed", "", name, "", json.dumps({"why": "locked", "from": address}))
            return Login(None, "locked")
        if account.locked_until is not None:  # the lock has run out: a new run of attempts begins
            failed = 0
        try:
            _HASHER.verify(row["password_hash"], password)
            right = True
        except (VerificationError, InvalidHashError):
            right = False
        if not right:
            failed += 1
            locked = stamp(now + LOCK) if failed >= MAX_FAILED else None
            c.execute(
                "UPDATE portal_accounts SET failed_logins = ?, locked_until = ? WHERE name = ?", (failed, locked, name)
            )
            detail = {"why": "wrong", "from": address, "failed": failed, "locked_until": locked}
            ledger.add_event(c, "portal login failed", "", name, "", json.dumps(detail))
            return Login(None, "wrong")
        if account.disabled_at is not None:
            ledger.add_event(c, "portal login failed", "", name, "", json.dumps({"why": "disabled", "from": address}))
            return Login(None, "disabled")
        c.execute("UPDATE portal_accounts SET failed_logins = 0, locked_until = NULL WHERE name = ?", (name,))
        ledger.add_event(c, "portal login", "", name, "", json.dumps({"from": address}))
    return Login(get_account(ledger, name), "ok")


def change_password(ledger: Ledger, name: str, old: str, new: str, now: datetime) -> None:
    if len(new) < MIN_PASSWORD:
        raise AccountError(t("password_too_short", min=MIN_PASSWORD))
    if new == old:
        raise AccountError(t("password_same"))
    with ledger.write() as c:
        row = c.execute("SELECT password_hash FROM portal_accounts WHERE name = ?", (name,)).fetchone()
        try:
            _HASHER.verify(row["password_hash"], old)
        except (VerificationError, InvalidHashError):
            raise AccountError(t("password_wrong")) from None
        c.execute(
            "UPDATE portal_accounts SET password_hash = ?, must_change = 0 WHERE name = ?", (_HASHER.hash(new), name)
        )
        ledger.add_event(c, "portal password changed", "", name, "", json.dumps({"at": stamp(now)}))
