"""Browser fixtures: Debian's Chromium driven by Playwright, against the real service.

The service is ``tests/fixtures/service.py``'s (real uvicorn API + pages, a real Celery worker,
PostgreSQL, Redis, SeaweedFS, the development PKI). Chromium is the Debian package
(``/usr/bin/chromium``, installed by scripts/bootstrap-system.sh): nothing is downloaded.

Every page a test visits goes through :func:`check_page`: a full-page screenshot into
``tests/browser/screenshots/`` (the CI artifact folder the README names) and an axe-core run
(``tests/browser/assets/axe.min.js``) that must find no serious or critical violation.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.service import PASSWORD, ServiceProcesses

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).parent
SCREENSHOTS = HERE / "screenshots"
AXE = HERE / "assets" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


# Package scope, not session: Playwright's sync API keeps an event loop running on the main
# thread while it is open, and every later test that calls asyncio.run() (pyHanko signing,
# the verification box) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run scripts/bootstrap-system.sh (Debian package)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def web(service: ServiceProcesses) -> ServiceProcesses:
    """The running service, with a leader account besides reception, signer and admin."""
    import subprocess
    import sys

    from tests.fixtures.service import ROOT

    subprocess.run(
        [sys.executable, "-m", "cli.main", "users", "create", "leader", "--role", "leader",
         "--password-stdin"],
        input=f"{PASSWORD}\n".encode(), env=service.env, cwd=ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    return service


def new_page(browser: Any, *, phone: bool = False) -> Any:
    """A fresh browser context (no cookies) and a page in it; Vietnamese by default."""
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        accept_downloads=True,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    # A CSP violation, a script error or an asset that failed to load fails the test (a page
    # answered 4xx on purpose, e.g. a form with errors, is the test's own business).
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type not in ("document", "fetch", "xhr")
            else None
        ),
    )
    page.console_errors = errors
    return page


def check_page(page: Any, name: str) -> list[dict[str, Any]]:
    """Screenshot the page and assert axe-core finds no serious or critical violation."""
    page.wait_for_load_state("load")
    # Thumbnails are fetched after the page: the screenshot shows them, not empty frames.
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') does not
        # apply to it, and the page itself never loads axe.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: axe violations: {json.dumps(bad, ensure_ascii=False, indent=1)}"
    assert not page.console_errors, f"{name}: console errors: {page.console_errors}"
    return list(result)


def login(page: Any, base_url: str, user: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Tên đăng nhập").fill(user)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("load")


def reset_screenshots() -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir()
