"""Reuse instead of rescanning, the users admin page, and English pages, in Chromium."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from samples.pages import render_page
from tests.browser.conftest import check_page, login, new_page
from tests.fixtures.service import ServiceProcesses

pytestmark = pytest.mark.slow

ID_NUMBER = "036198007777"


def _signed_earlier_document(web: ServiceProcesses) -> str:
    """An earlier dossier of the applicant with one digitized and signed document (API)."""
    reception = web.client("reception")
    created = reception.post(
        "/api/v1/dossiers",
        json={"procedure_code": "2.000001", "applicant": {"name": "Ngô Bảo Châu",
                                                          "id_number": ID_NUMBER}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    code: str = created.json()["code"]
    buffer = io.BytesIO()
    render_page(51, lines=6).image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
    upload = reception.post(
        f"/api/v1/dossiers/{code}/documents",
        files=[("files", ("cccd.jpg", buffer.getvalue(), "image/jpeg"))],
        data={"type_name": "Căn cước công dân"},
    )
    assert upload.status_code == 202, upload.text
    document_id = upload.json()["document_id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = reception.get(f"/api/v1/documents/{document_id}").json()["status"]
        if status == "signed":
            return code
        assert status != "failed"
        time.sleep(0.5)
    raise AssertionError(f"the earlier document was not signed in time: {status}")


def test_reception_attaches_an_earlier_signed_document_instead_of_rescanning(
    browser: Any, web: ServiceProcesses
) -> None:
    earlier = _signed_earlier_document(web)
    leader = new_page(browser)
    login(leader, web.base_url, "leader")
    reused_before = int(leader.get_by_test_id("documents_reused").inner_text())

    desk = new_page(browser)
    login(desk, web.base_url, "reception")
    desk.get_by_label("Mã thủ tục").fill("2.000002")
    desk.get_by_label("Tên thủ tục").fill("Cấp giấy phép kinh doanh hộ cá thể")
    desk.get_by_label("Họ và tên người nộp").fill("Ngô Bảo Châu")
    desk.get_by_label("Số căn cước công dân (CCCD)").fill(ID_NUMBER)
    desk.get_by_role("button", name="Tạo hồ sơ").click()
    row = desk.locator("tr", has_text=earlier)
    assert "Căn cước công dân" in row.inner_text()
    check_page(desk, "20-reception-reuse-offer")
    row.get_by_role("button").click()
    card = desk.locator("#documents article").first
    card.wait_for()
    assert card.get_attribute("data-status") == "signed"
    assert "tái sử dụng, không quét lại" in card.inner_text()
    check_page(desk, "21-reception-reused")

    leader.reload()
    assert int(leader.get_by_test_id("documents_reused").inner_text()) == reused_before + 1
    for page in (leader, desk):
        page.context.close()


def test_admin_manages_accounts_and_pages_switch_to_english(
    browser: Any, web: ServiceProcesses, tmp_path: Path
) -> None:
    admin = new_page(browser)
    login(admin, web.base_url, "admin")
    admin.goto(f"{web.base_url}/admin/users")
    check_page(admin, "22-admin-users")
    admin.get_by_label("Tên đăng nhập").fill("canbo-moi")
    admin.locator("#new-role").select_option("signer")
    admin.locator("#new-password").fill("mật khẩu mới đủ dài")
    admin.get_by_role("button", name="Tạo tài khoản").click()
    assert "Đã tạo tài khoản canbo-moi." in admin.get_by_role("status").inner_text()
    admin.get_by_role("button", name="Khóa canbo-moi").click()
    row = admin.locator("tr", has_text="canbo-moi")
    assert "Đã khóa" in row.inner_text()

    admin.get_by_role("link", name="English").click()
    assert admin.locator("html").get_attribute("lang") == "en"
    assert admin.get_by_role("heading", name="Staff accounts").is_visible()
    check_page(admin, "23-admin-users-en")
    admin.goto(f"{web.base_url}/backoffice")
    check_page(admin, "24-backoffice-en")
    admin.goto(f"{web.base_url}/leader?by=month")
    check_page(admin, "25-leader-en")
    admin.get_by_role("link", name="Tiếng Việt").click()
    assert admin.locator("html").get_attribute("lang") == "vi"
    admin.context.close()
