"""`scorecard portal user add|disable|list` on a workspace (docs/portal.md#accounts)."""

from __future__ import annotations

from datetime import UTC, datetime

from scorecard.i18n import t
from scorecard.ledger import Ledger, LedgerError
from scorecard.portal import accounts
from scorecard.portal.accounts import Account
from scorecard.workspace import Workspace


def _ledger(ws: Workspace, *, write: bool) -> Ledger:
    if not ws.db.exists():
        raise LedgerError(t("no_ledger", db=ws.db))
    return Ledger(ws.db, readonly=not write)


def add_user(ws: Workspace, name: str, partner_id: str | None, user: str) -> str:
    """The new account's one-time password (shown once, never stored)."""
    with _ledger(ws, write=True) as ledger:
        return accounts.add_account(ledger, name, partner_id, user, datetime.now(UTC))


def disable_user(ws: Workspace, name: str, user: str) -> int:
    with _ledger(ws, write=True) as ledger:
        return accounts.disable_account(ledger, name, user, datetime.now(UTC))


def list_users(ws: Workspace) -> list[Account]:
    with _ledger(ws, write=True) as ledger:  # writable: brings an older ledger's tables up to date
        return accounts.list_accounts(ledger)
