"""`scorecard serve`: the partner portal as a Starlette application (docs/portal.md).

Every route is declared in :data:`ROUTES` with its access rule; one guard
(:func:`_guarded`) applies it before any handler runs: the session from the
cookie, the CSRF token on every POST, the forced password change, and the
role. Partner handlers get a :class:`~scorecard.portal.scope.PartnerScope`
built from the session's account, never from the URL; whatever they are asked
for outside it is answered 404, the same page as for a path that does not exist.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import logging
import re
from base64 import b64encode
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scorecard.config import load_config
from scorecard.disputes import register
from scorecard.disputes.register import DisputeError, Settings, window_end
from scorecard.i18n import speaking, t
from scorecard.issues import InputError
from scorecard.ledger import Ledger
from scorecard.periods import Period
from scorecard.portal import accounts, uploads
from scorecard.portal.accounts import AccountError, Session
from scorecard.portal.scope import RECTIFICATION, PartnerScope, partner_scope
from scorecard.record import day_text
from scorecard.report.statement_view import show
from scorecard.status import balances
from scorecard.workspace import Workspace

log = logging.getLogger("scorecard.portal")
COOKIE = "sc_session"
LANG_COOKIE = "sc_lang"
CSP = "default-src 'self'"
MAX_BODY = uploads.MAX_BYTES + 256 * 1024  # one attachment and a few form fields
Clock = Callable[[], datetime]

PUBLIC, ANY, PARTNER, MANAGER = "public", "any", "partner", "manager"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ctx:
    """What a handler gets: the request, the ledger, the session, and (partner pages) the scope."""

    request: Request
    ledger: Ledger
    session: Session
    now: datetime
    lang: str
    form: FormData | None
    scope: PartnerScope | None
    portal: Portal

    @property
    def user(self) -> str:
        assert self.session.account is not None
        return self.session.account.name

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else ""

    def page(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return self.portal.render(template, self.lang, self.session, status, **values)


def not_found() -> HTTPException:
    return HTTPException(404)


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError:
        raise not_found() from None


# --- pages -------------------------------------------------------------------------------------


def home(c: Ctx) -> Response:
    assert c.session.account is not None
    return RedirectResponse("/manager" if c.session.account.role == "manager" else "/months", 303)


def password_form(c: Ctx) -> Response:
    return c.page("password.html", error=None)


def password_change(c: Ctx) -> Response:
    if c.field("new") != c.field("repeat"):
        return c.page("password.html", 400, error=t("portal_repeat_differs", c.lang))
    try:
        accounts.change_password(c.ledger, c.user, c.field("current"), c.field("new"), c.now)
    except AccountError as exc:
        return c.page("password.html", 400, error=exc.message)
    log.info("password changed: account=%s", c.user)
    return RedirectResponse("/", 303)


def logout(c: Ctx) -> Response:
    accounts.revoke(c.ledger, c.session, c.now)
    log.info("logout: account=%s", c.user)
    response = RedirectResponse("/login", 303)
    _cookie(response, COOKIE, "", c.request, expire=True)
    return response


def months(c: Ctx) -> Response:
    assert c.scope is not None
    return c.page("months.html", months=c.scope.months())


def _window(c: Ctx, period: Period) -> tuple[bool, str]:
    last = window_end(period, c.portal.settings.window_days)
    today = c.now.astimezone(_zone(c.portal.settings.timezone)).date()
    return today <= last, last.isoformat()


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def month(c: Ctx, error: str | None = None) -> Response:
    assert c.scope is not None
    period = _period(c.param("period"))
    record = c.scope.month(period)
    if record is None:
        raise not_found()
    disputed = {(d.record, d.record_id): d for d in c.scope.disputes() if d.period == period}
    open_, last = _window(c, period)
    return c.page(
        "month.html",
        period=period,
        info=record.info,
        result=record.rows("partner_results")[0],
        tickets=record.rows("tickets"),
        refunds=record.rows("refunds"),
        conduct=[r for r in record.rows("conduct") if r["state"] == "counted"],
        notices=[n for n in c.scope.notices(c.lang) if n.period == period],
        disputed=disputed,
        window_open=open_,
        window_end=last,
        error=error,
        status=400 if error else 200,
    )


def statement(c: Ctx) -> Response:
    assert c.scope is not None
    page = c.scope.statement_html(_period(c.param("period")), c.lang)
    if page is None:
        raise not_found()
    # the statement is a self-contained page with its own styles: allow exactly those, by hash
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    styles += [html.unescape(s) for s in re.findall(r'style="([^"]*)"', page)]
    hashes = " ".join(sorted({f"'sha256-{b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in styles}))
    csp = f"{CSP}; style-src 'self' 'unsafe-hashes' {hashes}; img-src 'self' data:"
    return HTMLResponse(page, headers={"Content-Security-Policy": csp})


def dispute_file(c: Ctx) -> Response:
    assert c.scope is not None
    period = _period(c.param("period"))
    if c.scope.month(period) is None:
        raise not_found()
    try:
        did = c.scope.file_dispute(
            period,
            c.field("record"),
            c.field("record_id"),
            c.field("reason"),
            c.field("correction") or None,
            c.user,
            c.now,
            c.portal.settings,
        )
    except DisputeError as exc:
        if exc.unknown:
            raise not_found() from None
        return month(c, exc.message)
    log.info("dispute filed: account=%s dispute=%s", c.user, did)
    return RedirectResponse(f"/disputes/{did}", 303)


def disputes(c: Ctx) -> Response:
    assert c.scope is not None
    return c.page("disputes.html", disputes=list(reversed(c.scope.disputes())))


def dispute(c: Ctx) -> Response:
    assert c.scope is not None
    d = c.scope.dispute(c.param("dispute_id"))
    if d is None:
        raise not_found()
    return c.page("dispute.html", d=d)


def notices(c: Ctx) -> Response:
    assert c.scope is not None
    return c.page("notices.html", notices=c.scope.notices(c.lang), rectification=RECTIFICATION)


def notice(c: Ctx, error: str | None = None) -> Response:
    assert c.scope is not None
    n = c.scope.notice(c.param("key"), c.lang)
    if n is None:
        raise not_found()
    return c.page("notice.html", 400 if error else 200, n=n, rectification=RECTIFICATION, error=error)


def report_add(c: Ctx) -> Response:
    assert c.scope is not None
    n = c.scope.notice(c.param("key"), c.lang)
    if n is None:
        raise not_found()
    if n.kind != RECTIFICATION:
        raise not_found()
    text = c.field("text").strip()
    if not text:
        return notice(c, t("report_needs_text", c.lang))
    upload = c.form.get("file") if c.form is not None else None
    stored = None
    if isinstance(upload, UploadFile) and (upload.filename or upload.size):
        data = upload.file.read(uploads.MAX_BYTES + 1)
        try:
            stored = uploads.store(c.portal.ws.root, data, upload.filename or "")
        except uploads.UploadError as exc:
            return notice(c, str(exc))
    report_id = c.scope.add_report(n, text, stored, c.user, c.now)
    log.info("rectification report: account=%s report=%s", c.user, report_id)
    return RedirectResponse(f"/notices/{n.key}", 303)


def report_file(c: Ctx) -> Response:
    assert c.scope is not None
    row = c.scope.report(c.param("report_id"))
    return _attachment(c, row)


# --- manager pages -------------------------------------------------------------------------------


def manager_home(c: Ctx) -> Response:
    periods = c.ledger.periods()
    if not periods:
        return c.page("manager_month.html", period=None, periods=[], rows=[], holds=[], balances=[], info=None)
    return _manager_month(c, periods[-1].period)


def manager_month(c: Ctx) -> Response:
    period = _period(c.param("period"))
    if c.ledger.period(period) is None:
        raise not_found()
    return _manager_month(c, period)


def _manager_month(c: Ctx, period: Period) -> Response:
    record = c.ledger.record(period)
    breached = record.breached_rules()
    rows = [
        {**r, "breached": breached.get(r["partner_id"], [])}
        for r in record.rows("partner_results")
        if breached.get(r["partner_id"]) or r["status"] != "active" or r["held_out"] or r["released"]
    ]
    pending = len(register.list_disputes(c.ledger, "pending"))
    unchecked = c.ledger.conn.execute("SELECT count(*) FROM portal_reports WHERE recheck IS NULL").fetchone()[0]
    return c.page(
        "manager_month.html",
        period=period,
        info=record.info,
        periods=[p.period for p in reversed(c.ledger.periods())],
        counts=record.counts(),
        totals=record.totals(),
        rows=rows,
        holds=record.rows("holds"),
        balances=balances(c.ledger, period),
        pending=pending,
        unchecked=unchecked,
    )


def manager_disputes(c: Ctx, error: str | None = None) -> Response:
    every = register.list_disputes(c.ledger)
    return c.page(
        "manager_disputes.html",
        400 if error else 200,
        pending=[d for d in every if d.status == "pending"],
        decided=[d for d in reversed(every) if d.status != "pending"],
        error=error,
    )


def manager_decide(c: Ctx) -> Response:
    did = c.param("dispute_id")
    if register.get(c.ledger, did) is None:
        raise not_found()
    decision = c.field("decision")
    if decision not in ("accept", "reject"):
        return manager_disputes(c, t("accept_or_reject_form", c.lang))
    try:
        register.decide(c.ledger, did, decision == "accept", c.field("note"), c.user, c.now)
    except DisputeError as exc:
        return manager_disputes(c, exc.message)
    log.info("dispute decided: account=%s dispute=%s decision=%s", c.user, did, decision)
    return RedirectResponse("/manager/disputes", 303)


def manager_reports(c: Ctx, error: str | None = None) -> Response:
    rows = [dict(r) for r in c.ledger.conn.execute("SELECT * FROM portal_reports ORDER BY filed_at DESC")]
    return c.page("manager_reports.html", 400 if error else 200, reports=rows, error=error)


def manager_recheck(c: Ctx) -> Response:
    rid = c.param("report_id")
    row = c.ledger.conn.execute("SELECT * FROM portal_reports WHERE report_id = ?", (rid,)).fetchone()
    if row is None:
        raise not_found()
    outcome, note = c.field("outcome"), c.field("note").strip()
    if outcome not in ("passed", "failed") or not note:
        return manager_reports(c, t("recheck_needs", c.lang))
    if row["recheck"] is not None:
        return manager_reports(c, t("recheck_done", c.lang))
    with c.ledger.write() as w:
        w.execute(
            "UPDATE portal_reports SET recheck = ?, rechecked_by = ?, rechecked_at = ?, recheck_note = ?"
            " WHERE report_id = ? AND recheck IS NULL",
            (outcome, c.user, accounts.stamp(c.now), note, rid),
        )
        detail = {"report_id": rid, "partner_id": row["partner_id"], "outcome": outcome}
        c.ledger.add_event(w, "portal recheck", row["period"], c.user, note, json.dumps(detail))
    log.info("report re-checked: account=%s report=%s outcome=%s", c.user, rid, outcome)
    return RedirectResponse("/manager/reports", 303)


def manager_report_file(c: Ctx) -> Response:
    row = c.ledger.conn.execute("SELECT * FROM portal_reports WHERE report_id = ?", (c.param("report_id"),)).fetchone()
    return _attachment(c, dict(row) if row else None)


def _attachment(c: Ctx, row: dict[str, Any] | None) -> Response:
    """A stored attachment, always as a download of its checked type (never rendered as a page)."""
    if row is None or not row.get("file_name"):
        raise not_found()
    try:
        data = uploads.path_of(c.portal.ws.root, row["file_name"]).read_bytes()
    except (uploads.UploadError, OSError):
        raise not_found() from None
    ext = row["file_name"].rsplit(".", 1)[-1]
    return Response(
        data,
        media_type=row["file_type"],
        headers={
            "Content-Disposition": f'attachment; filename="{row["report_id"]}.{ext}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


# --- logging in --------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    with portal.ledger() as ledger:
        now = portal.clock()
        s = accounts.session(ledger, request.cookies.get(COOKIE), now)
        if s is not None and s.account is not None:
            return RedirectResponse("/", 303)
        response: Response
        if s is None:
            token, csrf = accounts.new_session(ledger, None, now)
            s = Session("", None, csrf)
            response = portal.render("login.html", portal.lang(request), s, 200, error=None)
            _cookie(response, COOKIE, token, request)
            return response
        return portal.render("login.html", portal.lang(request), s, 200, error=None)


async def login_post(request: Request) -> Response:
    portal: Portal = request.app.state.portal
    lang = portal.lang(request)
    form = await _form(request)
    with portal.ledger() as ledger:
        now = portal.clock()
        s = accounts.session(ledger, request.cookies.get(COOKIE), now)
        if s is None or not accounts.csrf_ok(s, _text(form, "csrf")):
            return HTMLResponse(t("portal_csrf", lang), 403)
        name = _text(form, "name").strip()
        address = request.client.host if request.client else "-"
        result = accounts.login(ledger, name, _text(form, "password"), address, now)
        if result.account is None:
            known = accounts.get_account(ledger, name) is not None
            log.warning("login refused: account=%s why=%s", name if known else "(unknown)", result.why)
            key = "portal_locked" if result.why == "locked" else "portal_login_failed"
            return portal.render("login.html", lang, s, 401 if result.why != "locked" else 429, error=t(key, lang))
        accounts.revoke(ledger, s, now, event=False)  # a new session id after login: no fixation
        token, _ = accounts.new_session(ledger, result.account.name, now)
        log.info("login: account=%s", result.account.name)
        response = RedirectResponse("/password" if result.account.must_change else "/", 303)
        _cookie(response, COOKIE, token, request)
        return response


async def favicon(request: Request) -> Response:
    """Browsers ask for it on every page (the statement too); answered so no page logs a failed load."""
    data = (Path(__file__).parent / "static" / "favicon.svg").read_bytes()
    return Response(data, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length is None:  # a body of unknown length could be made as large as the disk
        raise HTTPException(411)
    if not length.isdigit() or int(length) > MAX_BODY:
        raise HTTPException(413)
    return await request.form(max_files=1, max_fields=20, max_part_size=64 * 1024)


def _cookie(response: Response, name: str, value: str, request: Request, *, expire: bool = False) -> None:
    """HttpOnly, SameSite=Strict, and Secure when the portal is reached over HTTPS."""
    secure = "; Secure" if request.url.scheme == "https" else ""
    gone = "; Max-Age=0" if expire else ""
    response.raw_headers.append(
        (b"set-cookie", f"{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{gone}".encode("latin-1"))
    )


# --- the guard ---------------------------------------------------------------------------------

Handler = Callable[[Ctx], Response]


def _guarded(access: str, handler: Handler, *, post: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        portal: Portal = request.app.state.portal
        form = await _form(request) if post else None
        with portal.ledger() as ledger:
            now = portal.clock()
            s = accounts.session(ledger, request.cookies.get(COOKIE), now)
            if s is None or s.account is None:
                return RedirectResponse("/login", 303)
            if post and not accounts.csrf_ok(s, _text(form, "csrf") if form is not None else None):
                return HTMLResponse(t("portal_csrf", portal.lang(request)), 403)
            if s.account.must_change and handler not in (password_form, password_change, logout):
                return RedirectResponse("/password", 303)
            scope = None
            if access == PARTNER:
                scope = partner_scope(ledger, s.account)
                if scope is None:
                    raise not_found()
            elif access == MANAGER and s.account.role != "manager":
                raise not_found()
            ctx = Ctx(request, ledger, s, now, portal.lang(request), form, scope, portal)
            with speaking(ctx.lang):  # the register's and the accounts' refusals in the page's language
                return handler(ctx)

    return endpoint


# (path, method, access, handler): every route of the portal and who may use it (docs/portal.md)
ROUTES: list[tuple[str, str, str, Handler | None]] = [
    ("/login", "GET", PUBLIC, None),
    ("/login", "POST", PUBLIC, None),
    ("/favicon.ico", "GET", PUBLIC, None),
    ("/", "GET", ANY, home),
    ("/password", "GET", ANY, password_form),
    ("/password", "POST", ANY, password_change),
    ("/logout", "POST", ANY, logout),
    ("/months", "GET", PARTNER, months),
    ("/months/{period}", "GET", PARTNER, month),
    ("/months/{period}/statement", "GET", PARTNER, statement),
    ("/months/{period}/disputes", "POST", PARTNER, dispute_file),
    ("/disputes", "GET", PARTNER, disputes),
    ("/disputes/{dispute_id}", "GET", PARTNER, dispute),
    ("/notices", "GET", PARTNER, notices),
    ("/notices/{key}", "GET", PARTNER, notice),
    ("/notices/{key}/reports", "POST", PARTNER, report_add),
    ("/reports/{report_id}/file", "GET", PARTNER, report_file),
    ("/manager", "GET", MANAGER, manager_home),
    ("/manager/months/{period}", "GET", MANAGER, manager_month),
    ("/manager/disputes", "GET", MANAGER, manager_disputes),
    ("/manager/disputes/{dispute_id}/decide", "POST", MANAGER, manager_decide),
    ("/manager/reports", "GET", MANAGER, manager_reports),
    ("/manager/reports/{report_id}/recheck", "POST", MANAGER, manager_recheck),
    ("/manager/reports/{report_id}/file", "GET", MANAGER, manager_report_file),
]


# --- the application ---------------------------------------------------------------------------


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("scorecard", "portal/templates"), autoescape=True, undefined=StrictUndefined)
    env.filters["money"] = lambda v: show(v, "money")
    env.filters["day"] = day_text
    return env


class Portal:
    def __init__(self, ws: Workspace, clock: Clock) -> None:
        self.ws = ws
        self.clock = clock
        try:
            config = load_config(ws.config)
            self.settings = register.settings_from(config)
            self.default_lang = config.config.general.language
        except InputError:
            self.settings, self.default_lang = Settings(), "zh"

    def ledger(self) -> Ledger:
        return Ledger(self.ws.db)

    def lang(self, request: Request) -> str:
        asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        return asked if asked in ("zh", "en") else self.default_lang

    def render(self, template: str, lang: str, session: Session, status: int, **values: Any) -> HTMLResponse:
        account = session.account
        body = (
            environment()
            .get_template(template)
            .render(
                lang=lang,
                t=lambda key: t(key, lang),
                csrf=session.csrf,
                account=account,
                **values,
            )
        )
        return HTMLResponse(body, status)


class SecurityHeaders:
    """Every response: a CSP of default-src 'self' (unless the route set a stricter one), no
    sniffing, no framing, no referrer, no caching; and the language asked for is remembered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        lang = next((p[5:] for p in query.split("&") if p in ("lang=zh", "lang=en")), None)

        async def send_with(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"no-referrer",
                    b"cache-control": b"no-store",
                }
                headers += [(k, v) for k, v in extra.items() if k not in names]
                if lang:
                    headers.append((b"set-cookie", f"{LANG_COOKIE}={lang}; Path=/; SameSite=Strict".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    text = {404: "404 — not found / 未找到", 413: "413 — too large / 文件过大"}.get(status, str(status))
    return HTMLResponse(f"<!doctype html><title>{status}</title><p>{text}</p>", status)


def create_app(ws: Workspace, *, clock: Clock = _now) -> Starlette:
    routes: list[Route | Mount] = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
    ]
    for path, method, access, handler in ROUTES:
        if handler is not None:
            routes.append(Route(path, _guarded(access, handler, post=method == "POST"), methods=[method]))
    routes.append(Mount("/static", StaticFiles(packages=[("scorecard", "portal/static")]), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: _not_found, 405: _not_found, 411: _not_found, 413: _not_found},
    )
    app.state.portal = Portal(ws, clock)
    return app


def serve(ws: Workspace, host: str = "127.0.0.1", port: int = 8080) -> None:
    import uvicorn

    if not ws.db.exists():
        from scorecard.ledger import LedgerError

        raise LedgerError(t("no_ledger", db=ws.db))
    Ledger(ws.db).close()  # brings the ledger's tables up to date before the first request
    # the portal's own lines (logins, disputes, decisions; never a secret) beside uvicorn's access log
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["scorecard.portal"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    uvicorn.run(create_app(ws), host=host, port=port, server_header=False, log_level="info", log_config=config)
