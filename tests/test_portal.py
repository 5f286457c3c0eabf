"""The partner portal against a real uvicorn server on 127.0.0.1, driven over HTTP (and by chromium)."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import copy_workspace

from scorecard.ledger import Ledger
from scorecard.periods import Period
from scorecard.portal import accounts
from scorecard.portal.app import ANY, MANAGER, PARTNER, PUBLIC, ROUTES, create_app
from scorecard.portal.scope import notice_key
from scorecard.workspace import Workspace

A, B = "SI-0009", "SI-0003"  # B was assessed January to March only: none of A's pages below is B's
JUL = Period(2026, 7)
SHOTS = os.environ.get("SCORECARD_PORTAL_SCREENSHOTS")  # e.g. docs, to refresh the pictures
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Clock:
    """The portal's clock: 5 August 2026, inside July's filing window; tests move it on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 8, 5, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Portal:
    ws: Workspace
    url: str
    clock: Clock
    log: io.StringIO

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)

    def account(self, name: str, partner: str | None) -> str:
        with Ledger(self.ws.db) as ledger:
            return accounts.add_account(ledger, name, partner, "tester", self.clock())

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(self.ws.db)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def portal(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    ws = copy_workspace(demo_template, tmp_path_factory.mktemp("portal") / "ws")
    clock = Clock()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access", "scorecard.portal")]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    port = _free_port()
    config = uvicorn.Config(create_app(ws, clock=clock), host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # waiting for the socket, not timing anything
        if not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    try:
        yield Portal(ws, f"http://127.0.0.1:{port}", clock, buf)
    finally:
        server.should_exit = True
        thread.join()
        for lg in loggers:
            lg.removeHandler(handler)


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, page[:500]
    return m.group(1)


def log_in(
    p: Portal, name: str, password: str, client: httpx.Client | None = None
) -> tuple[httpx.Client, httpx.Response]:
    c = client or p.client()
    page = c.get("/login")
    assert page.status_code in (200, 303)
    if page.status_code == 303:
        return c, page
    r = c.post("/login", data={"csrf": csrf_of(page.text), "name": name, "password": password})
    return c, r


def ready(p: Portal, name: str, partner: str | None) -> tuple[httpx.Client, str]:
    """An account logged in with its password changed."""
    once = p.account(name, partner)
    c, r = log_in(p, name, once)
    assert (r.status_code, r.headers["location"]) == (303, "/password")
    page = c.get("/password")
    new = f"{name}-secret-2026"
    r = c.post("/password", data={"csrf": csrf_of(page.text), "current": once, "new": new, "repeat": new})
    assert (r.status_code, r.headers["location"]) == (303, "/"), r.text
    return c, new


def page_csrf(c: httpx.Client, path: str = "/") -> str:
    r = c.get("/disputes" if path == "/" else path)
    return csrf_of(r.text)


@pytest.fixture(scope="module")
def partner_a(portal: Portal) -> dict[str, object]:
    """Partner A with a dispute and a rectification report with a PDF attached."""
    c, password = ready(portal, "a-user", A)
    month = c.get("/months/2026-07")
    assert month.status_code == 200
    ticket = re.findall(r'name="record_id" value="([^"]+)"', month.text)[0]
    token = csrf_of(month.text)
    r = c.post("/months/2026-07/disputes", data={"csrf": token, "record": "ticket", "record_id": ticket, "reason": "r"})
    assert r.status_code == 303 and r.headers["location"].startswith("/disputes/D-2026-07-"), r.text
    dispute_id = r.headers["location"].rsplit("/", 1)[1]
    key = notice_key(A, Period(2026, 6), 0)
    r = c.post(
        f"/notices/{key}/reports",
        data={"csrf": token, "text": "retrained the desk"},
        files={"file": ("plan.pdf", PDF, "application/pdf")},
    )
    assert (r.status_code, r.headers["location"]) == (303, f"/notices/{key}")
    (report_id,) = portal.rows(f"SELECT report_id FROM portal_reports WHERE partner_id = '{A}'")[0]
    return {
        "client": c,
        "password": password,
        "dispute": dispute_id,
        "notice": key,
        "report": report_id,
        "ticket": ticket,
    }


def concrete(path: str, a: dict[str, object]) -> str:
    values = {
        "period": "2026-07",
        "dispute_id": a["dispute"],
        "key": a["notice"],
        "report_id": a["report"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def test_every_route_is_closed_to_another_partner_and_to_the_anonymous(
    portal: Portal, partner_a: dict[str, object]
) -> None:
    app = create_app(portal.ws, clock=portal.clock)
    served = {(r.path, m) for r in app.routes if hasattr(r, "methods") for m in r.methods if m != "HEAD"}
    declared = {(path, method) for path, method, _, _ in ROUTES}
    assert served == declared  # a route added without an access rule fails here
    assert [r.path for r in app.routes if not hasattr(r, "methods")] == ["/static"]  # the stylesheet only
    a_client = partner_a["client"]
    b_client, _ = ready(portal, "b-user", B)
    b_token = page_csrf(b_client)
    anonymous = portal.client()
    before = portal.rows("SELECT count(*) FROM disputes"), portal.rows("SELECT count(*) FROM portal_reports")
    checked = own = 0
    for path, method, access, _ in ROUTES:
        if access == PUBLIC:
            continue
        url = concrete(path, partner_a)
        data = {"csrf": b_token, "record": "ticket", "record_id": partner_a["ticket"], "reason": "mine", "text": "x"}
        data |= {"decision": "accept", "note": "n", "outcome": "passed"}
        # the anonymous are sent to log in, for every page and every form
        r = anonymous.request(method, url, data=data if method == "POST" else None)
        assert (r.status_code, r.headers.get("location")) == (303, "/login"), (method, url)
        if access == PARTNER and "{" not in path:
            # a page that names nothing is the asker's own: B's, with nothing of A's on it
            r = b_client.get(url)
            assert r.status_code == 200 and B in r.text, url
            assert (
                A not in r.text and str(partner_a["dispute"]) not in r.text and str(partner_a["notice"]) not in r.text
            )
            own += 1
        elif access in (PARTNER, MANAGER):
            r = b_client.request(method, url, data=data if method == "POST" else None)
            assert r.status_code == 404, (method, url, r.status_code)
            assert r.text == anonymous.get("/no/such/page").text  # the same page as for nothing at all
            if method == "GET" and access == PARTNER:
                assert a_client.get(url).status_code == 200, url  # A's own page is there
            checked += 1
        else:
            assert access == ANY
    assert (checked, own) == (14, 3)
    assert (portal.rows("SELECT count(*) FROM disputes"), portal.rows("SELECT count(*) FROM portal_reports")) == before


def test_posts_without_or_with_a_wrong_csrf_token_are_refused_and_write_nothing(
    portal: Portal, partner_a: dict[str, object]
) -> None:
    c = partner_a["client"]
    month = c.get("/months/2026-07").text
    ticket = re.findall(r'name="record_id" value="([^"]+)"', month)[1]
    before = portal.rows("SELECT * FROM disputes"), portal.rows("SELECT count(*) FROM events")
    for token in (None, "", "wrong-token", csrf_of(portal.client().get("/login").text)):
        data = {"record": "ticket", "record_id": ticket, "reason": "no token"}
        if token is not None:
            data["csrf"] = token
        r = c.post("/months/2026-07/disputes", data=data)
        assert r.status_code == 403, token
        r = c.post("/logout", data={} if token is None else {"csrf": token})
        assert r.status_code == 403
    assert (portal.rows("SELECT * FROM disputes"), portal.rows("SELECT count(*) FROM events")) == before
    assert c.get("/months").status_code == 200  # still logged in: the refused logout did nothing
    # the login form is guarded too: no token, no attempt counted
    fresh = portal.client()
    fresh.get("/login")
    r = fresh.post("/login", data={"name": "a-user", "password": "whatever"})
    assert r.status_code == 403
    assert portal.rows("SELECT failed_logins FROM portal_accounts WHERE name = 'a-user'") == [(0,)]


def test_the_sixth_login_is_refused_even_with_the_right_password(portal: Portal) -> None:
    _, password = ready(portal, "lock-me", A)
    for n in range(5):  # from five different sessions
        _, r = log_in(portal, "lock-me", f"wrong-{n}")
        assert r.status_code == 401 and "账号或密码不正确" in r.text
    _, r = log_in(portal, "lock-me", password)
    assert r.status_code == 429 and "sc_session" not in r.headers.get("set-cookie", "")
    assert portal.rows("SELECT failed_logins FROM portal_accounts WHERE name = 'lock-me'") == [(5,)]
    portal.clock.now += timedelta(minutes=16)
    try:
        _, r = log_in(portal, "lock-me", password)
        assert (r.status_code, r.headers["location"]) == (303, "/")
    finally:
        portal.clock.now -= timedelta(minutes=16)
    events = portal.rows("SELECT command FROM events WHERE user = 'lock-me' ORDER BY id")
    assert [e[0] for e in events][-7:] == ["portal login failed"] * 6 + ["portal login"]


def test_cookies_are_httponly_samesite_strict_and_sessions_are_revoked(portal: Portal) -> None:
    c, _ = ready(portal, "cookie-user", A)
    r = portal.client().get("/login")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("sc_session=") and "; HttpOnly" in cookie and "; SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on 127.0.0.1; behind HTTPS it is Secure
    assert r.headers["content-security-policy"] == "default-src 'self'"
    # logout ends the session on the server: the old cookie no longer opens anything
    token = c.cookies["sc_session"]
    r = c.post("/logout", data={"csrf": page_csrf(c)})
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    old = portal.client()
    old.cookies.set("sc_session", token)
    assert old.get("/months").status_code == 303
    # disabling an account ends its live sessions at once
    c, _ = log_in(portal, "cookie-user", "cookie-user-secret-2026")
    assert c.get("/months").status_code == 200
    with Ledger(portal.ws.db) as ledger:
        assert accounts.disable_account(ledger, "cookie-user", "tester", portal.clock()) == 1
    assert c.get("/months").status_code == 303


def test_no_password_or_session_id_in_the_server_log(portal: Portal, partner_a: dict[str, object]) -> None:
    c, password = ready(portal, "log-user", A)
    log_in(portal, "log-user", "a-wrong-password-123")
    text = portal.log.getvalue()
    assert "login: account=log-user" in text and "login refused: account=log-user why=wrong" in text
    assert '"POST /login HTTP/1.1" 303' in text  # the access log is on, and is what was searched
    for secret in (password, "a-wrong-password-123", str(partner_a["password"])):
        assert secret not in text
    for client in (c, partner_a["client"]):
        assert client.cookies["sc_session"] not in text


def test_an_uploaded_html_file_is_never_served_as_html(portal: Portal, partner_a: dict[str, object]) -> None:
    c = partner_a["client"]
    key = partner_a["notice"]
    token = page_csrf(c)
    html = b"<!doctype html><script>alert(1)</script>"
    before = portal.rows("SELECT count(*) FROM portal_reports")
    for name, data, ctype in (("x.html", html, "text/html"), ("x.pdf", html, "application/pdf")):
        r = c.post(f"/notices/{key}/reports", data={"csrf": token, "text": "t"}, files={"file": (name, data, ctype)})
        assert r.status_code == 400 and "只能上传 PDF 或图片（PNG、JPEG、WebP）" in r.text  # the page's language
    assert portal.rows("SELECT count(*) FROM portal_reports") == before
    # a real PDF named .html is kept as the PDF it is, and sent back as a download of that type
    r = c.post(
        f"/notices/{key}/reports", data={"csrf": token, "text": "t"}, files={"file": ("evil.html", PDF, "text/html")}
    )
    assert (r.status_code, r.headers["location"]) == (303, f"/notices/{key}")
    report_id, stored, original = portal.rows(
        "SELECT report_id, file_name, original_name FROM portal_reports ORDER BY filed_at DESC, rowid DESC LIMIT 1"
    )[0]
    assert original == "evil.html" and str(stored).endswith(".pdf") and "evil" not in str(stored)
    r = c.get(f"/reports/{report_id}/file")
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{report_id}.pdf"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (portal.ws.root / "portal-uploads" / str(stored)).read_bytes() == PDF
    # too large: refused, nothing stored
    big = b"%PDF-" + b"0" * (5 * 1024 * 1024)
    r = c.post(
        f"/notices/{key}/reports",
        data={"csrf": token, "text": "t"},
        files={"file": ("big.pdf", big, "application/pdf")},
    )
    assert r.status_code == 400 and "文件大于 5 MB" in r.text
    huge = b"%PDF-" + b"0" * (6 * 1024 * 1024)  # the request itself is too large: refused before it is read
    r = c.post(
        f"/notices/{key}/reports", data={"csrf": token, "text": "t"}, files={"file": ("h.pdf", huge, "application/pdf")}
    )
    assert r.status_code == 413
    assert portal.rows("SELECT count(*) FROM portal_reports") == [(before[0][0] + 1,)]


def test_manager_decides_and_rechecks(portal: Portal, partner_a: dict[str, object]) -> None:
    m, _ = ready(portal, "boss", None)
    assert m.get("/months").status_code == 404  # a manager has no partner pages
    queue = m.get("/manager/disputes")
    assert queue.status_code == 200 and str(partner_a["dispute"]) in queue.text
    token = csrf_of(queue.text)
    r = m.post(
        f"/manager/disputes/{partner_a['dispute']}/decide", data={"csrf": token, "decision": "reject", "note": "ours"}
    )
    assert r.status_code == 303
    assert portal.rows(
        f"SELECT status, decided_by, note FROM disputes WHERE dispute_id = '{partner_a['dispute']}'"
    ) == [("rejected", "boss", "ours")]
    page = partner_a["client"].get(f"/disputes/{partner_a['dispute']}")
    assert "rejected" in page.text or "已驳回" in page.text
    r = m.post(
        f"/manager/reports/{partner_a['report']}/recheck", data={"csrf": token, "outcome": "passed", "note": "ok"}
    )
    assert r.status_code == 303
    assert portal.rows(
        f"SELECT recheck, rechecked_by FROM portal_reports WHERE report_id = '{partner_a['report']}'"
    ) == [("passed", "boss")]
    assert portal.rows("SELECT command, user FROM events ORDER BY id DESC LIMIT 2") == [
        ("portal recheck", "boss"),
        ("dispute decide", "boss"),
    ]
    glance = m.get("/manager", params={"lang": "en"})
    assert glance.status_code == 200 and "The month · 2026-07" in glance.text


# --- a real browser ---------------------------------------------------------------------------


def chromium() -> str | None:
    return next(
        (p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and Path(p).exists()),
        None,
    )


@pytest.mark.skipif(chromium() is None, reason="chromium not found (apt-get install chromium)")
def test_partner_and_manager_in_headless_chromium(portal: Portal, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    pid = "SI-0013"
    once = portal.account("browser-partner", pid)
    boss_once = portal.account("browser-boss", None)
    shots = Path(SHOTS) if SHOTS else tmp_path
    errors: list[str] = []
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=flags, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{portal.url}/login?lang=en")
            page.fill("#name", "browser-partner")
            page.fill("#password", once)
            page.click("#login")
            page.wait_for_url("**/password")
            page.fill("#current", once)
            page.fill("#new", "browser-partner-2026!")
            page.fill("#repeat", "browser-partner-2026!")
            page.click("#change")
            page.wait_for_url("**/months")
            page.click("text=2026-07")
            page.wait_for_url("**/months/2026-07")
            page.click("#statement")
            page.wait_for_url("**/months/2026-07/statement")
            assert page.locator("#payout").count() == 1
            page.go_back()
            form = page.locator("form.dispute").first
            ticket = form.locator('input[name="record_id"]').get_attribute("value")
            form.locator('input[name="reason"]').fill("The customer withdrew the complaint")
            form.locator("button").click()
            page.wait_for_url("**/disputes/D-2026-07-*")
            dispute_id = page.url.rsplit("/", 1)[1]
            assert page.locator("#status").inner_text() == "pending"
            page.goto(f"{portal.url}/months/2026-07")
            page.screenshot(path=str(shots / "portal-partner.png"), full_page=False)

            boss = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            boss.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            boss.goto(f"{portal.url}/login?lang=en")
            boss.fill("#name", "browser-boss")
            boss.fill("#password", boss_once)
            boss.click("#login")
            boss.fill("#current", boss_once)
            boss.fill("#new", "browser-boss-2026!!")
            boss.fill("#repeat", "browser-boss-2026!!")
            boss.click("#change")
            boss.wait_for_url("**/manager")
            boss.goto(f"{portal.url}/manager/disputes")
            row = boss.locator(f"#d-{dispute_id}")
            row.locator('input[name="note"]').fill("Confirmed with the call log")
            boss.screenshot(path=str(shots / "portal-manager.png"), full_page=False)
            row.locator('button[value="accept"]').click()
            boss.wait_for_url("**/manager/disputes")
            assert boss.locator(f"#d-{dispute_id}").count() == 0  # left the queue

            page.goto(f"{portal.url}/disputes/{dispute_id}")
            assert page.locator("#status").inner_text() == "accepted"
        finally:
            browser.close()
    assert portal.rows(
        f"SELECT partner_id, record_id, status, decided_by FROM disputes WHERE dispute_id = '{dispute_id}'"
    ) == [(pid, ticket, "accepted", "browser-boss")]
    assert errors == []  # no CSP violation, no failed load
    for name in ("portal-partner.png", "portal-manager.png"):
        data = (shots / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_a_partner_files_only_its_own_records_within_the_window(portal: Portal, partner_a: dict[str, object]) -> None:
    c = partner_a["client"]
    page = c.get("/months/2026-07")
    token = csrf_of(page.text)
    with Ledger(portal.ws.db) as ledger:
        tickets = ledger.record(JUL).rows("tickets")
    others = next(x["ticket_id"] for x in tickets if x["partner_id"] != A and x["state"] == "late")
    own = [x["ticket_id"] for x in tickets if x["partner_id"] == A and x["state"] in ("on_time", "late")]
    before = portal.rows("SELECT * FROM disputes")
    # another partner's ticket named in the form: answered as a record that does not exist
    r = c.post("/months/2026-07/disputes", data={"csrf": token, "record": "ticket", "record_id": others, "reason": "x"})
    assert r.status_code == 404
    # after the window (a new day, so a new login: sessions last 8 hours): the register's message
    portal.clock.now = datetime(2026, 8, 11, 2, 0, tzinfo=UTC)
    try:
        assert c.get("/months").headers.get("location") == "/login"
        c, r = log_in(portal, "a-user", str(partner_a["password"]))
        token = csrf_of(c.get("/months?lang=en").text)  # the language is remembered in a cookie
        r = c.post(
            "/months/2026-07/disputes", data={"csrf": token, "record": "ticket", "record_id": own[-1], "reason": "x"}
        )
        assert r.status_code == 400
        shown = r.text
        assert "the filing window for 2026-07 ended on 2026-08-10" in shown
        assert "The filing window ended on" in shown and 'name="record_id"' not in shown  # no forms any more
    finally:
        portal.clock.now = Clock().now
    assert portal.rows("SELECT * FROM disputes") == before
    # the statement: A's own, with a policy that allows exactly its inline styles
    r = c.get("/months/2026-07/statement")
    assert r.status_code == 200 and A in r.text
    policy = r.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'; style-src 'self' 'unsafe-hashes' 'sha256-")
    assert "unsafe-inline" not in policy and "script" not in policy


def test_the_one_time_password_must_be_changed_first(portal: Portal) -> None:
    once = portal.account("fresh-user", A)
    c, r = log_in(portal, "fresh-user", once)
    assert r.headers["location"] == "/password"
    token = csrf_of(c.get("/password").text)
    for path in ("/months", "/months/2026-07", "/disputes"):
        assert c.get(path).headers.get("location") == "/password"
    before = portal.rows("SELECT count(*) FROM disputes")
    r = c.post("/months/2026-07/disputes", data={"csrf": token, "record": "ticket", "record_id": "x", "reason": "x"})
    assert r.headers.get("location") == "/password" and portal.rows("SELECT count(*) FROM disputes") == before
    r = c.post("/password", data={"csrf": token, "current": once, "new": once, "repeat": once})
    assert r.status_code == 400 and "新密码不能与旧密码相同" in r.text  # in the page's language (zh)
    r = c.post("/password", data={"csrf": token, "current": once, "new": "short", "repeat": "short"})
    assert r.status_code == 400 and "新密码至少需要 10 个字符" in r.text
    assert portal.rows("SELECT must_change FROM portal_accounts WHERE name = 'fresh-user'") == [(1,)]


def test_portal_user_commands(demo_ws: Workspace) -> None:
    from typer.testing import CliRunner

    from scorecard.cli import app as cli

    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        r = runner.invoke(cli, ["--lang", "en", "-w", str(demo_ws.root), "--user", "admin", "portal", "user", *args])
        return r.exit_code, r.output

    code, text = run("add", "si9", "--partner", A)
    m = re.match(r"si9 \(partner SI-0009\): one-time password (\S+)  \(shown once", text)
    assert code == 0 and m, text
    with Ledger(demo_ws.db) as ledger:
        (hashed,) = ledger.conn.execute("SELECT password_hash FROM portal_accounts WHERE name = 'si9'").fetchone()
        assert hashed.startswith("$argon2id$") and m.group(1) not in hashed
        assert accounts.login(ledger, "si9", m.group(1), "test", datetime.now(UTC)).why == "ok"
    code, text = run("add", "si9", "--partner", A)
    assert code == 1 and "an account 'si9' exists already" in text
    code, text = run("add", "ghost", "--partner", "SI-9999")
    assert code == 1 and "SI-9999 was never assessed" in text
    code, text = run("add", "both", "--partner", A, "--manager")
    assert code == 1 and "exactly one of --partner PID, --manager" in text
    assert run("add", "boss", "--manager")[0] == 0
    code, text = run("disable", "si9")
    assert (code, text) == (0, "si9: disabled (0 sessions ended)\n")
    code, text = run("disable", "si9")
    assert code == 1 and "si9 was disabled already" in text
    code, text = run("list")
    assert code == 0 and "si9" in text and "boss" in text and "manager" in text
    with Ledger(demo_ws.db) as ledger:
        assert [e["command"] for e in ledger.events()][-4:] == [
            "portal user add",
            "portal login",
            "portal user add",
            "portal user disable",
        ]
