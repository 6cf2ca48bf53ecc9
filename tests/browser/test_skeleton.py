"""The page skeleton in a real browser: Vietnamese first, English switch, login and logout."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import check_page, login, new_page
from tests.fixtures.service import ServiceProcesses


def test_login_page_is_vietnamese_accessible_and_opens_a_session(
    browser: Any, web: ServiceProcesses
) -> None:
    page = new_page(browser)
    page.goto(f"{web.base_url}/")
    assert page.get_by_role("link", name="Tra cứu hồ sơ").first.is_visible()
    check_page(page, "00-home")
    page.goto(f"{web.base_url}/login")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_label("Tên đăng nhập").is_visible()
    check_page(page, "00-login")
    login(page, web.base_url, "reception")
    assert page.url.endswith("/reception")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sohoa_session"]["httpOnly"] is True
    assert cookies["sohoa_session"]["sameSite"] == "Strict"
    page.get_by_role("button", name="Đăng xuất (reception)").click()
    assert "/login" in page.url
    page.goto(f"{web.base_url}/reception")
    assert "/login?next=%2Freception" in page.url
    page.context.close()


def test_english_switch_translates_the_page(browser: Any, web: ServiceProcesses) -> None:
    page = new_page(browser)
    page.goto(f"{web.base_url}/login")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("User name").is_visible()
    check_page(page, "00-login-en")
    page.context.close()


def test_wrong_password_is_refused_in_vietnamese(browser: Any, web: ServiceProcesses) -> None:
    page = new_page(browser)
    page.goto(f"{web.base_url}/login")
    page.get_by_label("Tên đăng nhập").fill("signer")
    page.get_by_label("Mật khẩu").fill("wrong password")
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_role("alert").inner_text() == "Sai tên đăng nhập hoặc mật khẩu."
    page.context.close()
