"""The whole journey in Chromium: reception → back office → citizen → verification → leader.

Reception logs in, creates a dossier, prints the receipt, uploads a skewed Vietnamese scan of
two files and watches it reach ``signed``; a signer uploads a result and signs it together with
two others in one batch; the citizen opens the lookup page from the receipt's QR code on a
phone-sized screen and downloads the signed result (its SHA-256 matches the record); the signed
PDF's QR code opens the HTML verification page, which shows it valid; a tampered copy is shown
as changed; the leader's indicators moved. Every page: a screenshot and an axe-core check.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import check_page, login, new_page
from tests.browser.journey import card_ids, qr_of_pdf, skewed_scan, wait_card
from tests.fixtures.service import ServiceProcesses

pytestmark = pytest.mark.slow

ID_NUMBER = "079203001234"


def _kpis(page: Any) -> dict[str, int]:
    return {
        key: int(page.get_by_test_id(key).inner_text())
        for key in ("dossiers_received", "dossiers_digitized_at_reception",
                    "results_digitized_signed")
    }  # fmt: skip


def _tamper(pdf: bytes) -> bytes:
    """Change one byte inside the signed range (a digit of the first content stream length
    would break parsing; a byte of the page content keeps the file readable)."""
    index = pdf.index(b"stream", 2000) + 40
    return pdf[:index] + bytes([pdf[index] ^ 0x01]) + pdf[index + 1 :]


def test_reception_back_office_citizen_and_leader_in_a_browser(
    browser: Any, web: ServiceProcesses, tmp_path: Path
) -> None:
    base = web.base_url

    # --- leader, before ---------------------------------------------------------------------
    leader = new_page(browser)
    login(leader, base, "leader")
    assert leader.url.endswith("/leader")
    before = _kpis(leader)

    # --- reception: dossier, receipt, upload --------------------------------------------------
    desk = new_page(browser)
    login(desk, base, "reception")
    check_page(desk, "01-reception-new-dossier")
    desk.get_by_label("Mã thủ tục").fill("1.001193")
    desk.get_by_label("Tên thủ tục").fill("Đăng ký khai sinh")
    desk.get_by_label("Họ và tên người nộp").fill("Trần Thị Hồng Nhung")
    desk.get_by_label("Số căn cước công dân (CCCD)").fill("12345")
    desk.get_by_role("button", name="Tạo hồ sơ").click()
    assert "12 chữ số" in desk.locator("#id_number-error").inner_text()
    check_page(desk, "02-reception-form-errors")
    desk.get_by_label("Số căn cước công dân (CCCD)").fill(ID_NUMBER)
    desk.get_by_label("Số điện thoại").fill("0912 345 678")
    desk.get_by_label("Thư điện tử").fill("nhung@example.vn")
    desk.get_by_role("button", name="Tạo hồ sơ").click()
    code = desk.get_by_test_id("dossier-code").inner_text()
    secret = desk.get_by_test_id("lookup-secret").inner_text()
    assert (
        desk.evaluate("() => performance.getEntriesByType('navigation')[0].responseStatus") == 200
    )
    check_page(desk, "03-reception-dossier-created")

    with desk.expect_download() as receipt_download:
        desk.get_by_role("button", name="In giấy tiếp nhận (PDF)").click()
    receipt = tmp_path / "receipt.pdf"
    receipt_download.value.save_as(receipt)
    lookup_url = qr_of_pdf(receipt)
    assert lookup_url.startswith(f"{base}/tra-cuu?ma=") and code in lookup_url

    # A page count that does not match the scans is refused before anything is stored.
    scans = [skewed_scan(tmp_path, 31, "trang-1.jpg"), skewed_scan(tmp_path, 32, "trang-2.jpg")]
    desk.get_by_label("Loại giấy tờ").fill("Tờ khai đăng ký khai sinh")
    desk.get_by_label("Số trang giấy").fill("3")
    desk.locator("#files").set_input_files([str(s) for s in scans])
    assert desk.locator("[data-filelist] li").count() == 2
    desk.get_by_role("button", name="Tải lên và số hóa").click()
    alert = desk.locator("#upload-result [role=alert]")
    alert.wait_for()
    assert "khác số trang kê khai (3)" in alert.inner_text()
    assert card_ids(desk) == []
    check_page(desk, "04-reception-page-count-mismatch")

    # Reorder (the second file first, then back) and upload with the right count.
    desk.get_by_role("button", name="Chuyển xuống: trang-1.jpg").click()
    assert desk.locator("[data-filelist] li").first.inner_text().startswith("trang-2.jpg")
    desk.get_by_role("button", name="Chuyển lên: trang-1.jpg").click()
    desk.get_by_label("Số trang giấy").fill("2")
    desk.get_by_role("button", name="Tải lên và số hóa").click()
    desk.locator("#documents article").first.wait_for()
    [submitted] = card_ids(desk)
    check_page(desk, "05-reception-progress")
    wait_card(desk, submitted, "signed")
    thumbs = desk.locator(f"#doc-{submitted} .thumbs img")
    assert thumbs.count() == 2
    thumbs.last.scroll_into_view_if_needed()
    desk.wait_for_function(
        "id => [...document.querySelectorAll(`#doc-${id} .thumbs img`)]"
        ".every(i => i.complete && i.naturalWidth > 0)",
        arg=submitted,
    )
    check_page(desk, "06-reception-signed-with-thumbnails")

    # --- back office: results, preview, batch signing -------------------------------------
    office = new_page(browser)
    login(office, base, "signer")
    office.goto(f"{base}/staff/dossiers/{code}")
    results = []
    for n, seed in enumerate((41, 42, 43), start=1):
        office.get_by_label("Tên kết quả").fill(f"Giấy khai sinh bản chính {n}")
        office.locator("#result-files").set_input_files(
            str(skewed_scan(tmp_path, seed, f"ket-qua-{n}.jpg"))
        )
        office.get_by_role("button", name="Tải lên kết quả").click()
        office.wait_for_function(
            f"() => document.querySelectorAll('#documents article').length == {n + 1}"
        )
        results.append(card_ids(office)[-1])
    for result in results:
        wait_card(office, result, "digitized")
    check_page(office, "07-backoffice-dossier-results")

    office.goto(f"{base}/backoffice/documents/{results[0]}/preview")
    assert office.locator("svg rect.stamp").count() == 1
    assert office.locator("svg rect.qr").count() == 1
    check_page(office, "08-backoffice-stamp-preview")

    office.goto(f"{base}/backoffice")
    for result in results:
        office.locator(f"#pick-{result}").check()
    check_page(office, "09-backoffice-queue")
    office.get_by_role("button", name="Ký số các tài liệu đã chọn").click()
    assert office.locator("#documents article").count() == 3
    for result in results:
        wait_card(office, result, "signed")
    check_page(office, "10-backoffice-batch-signed")
    office.goto(f"{base}/staff/dossiers/{code}")
    check_page(office, "11-dossier-view")
    assert "document.signed.agency" in office.locator("table").last.inner_text()

    # --- citizen on a phone: lookup from the receipt's QR, download ------------------------
    phone = new_page(browser, phone=True)
    phone.goto(lookup_url)
    assert phone.get_by_label("Mã hồ sơ").input_value() == code
    check_page(phone, "12-citizen-lookup")
    phone.get_by_label("Mã tra cứu").fill("sai-ma-tra-cuu")
    phone.get_by_role("button", name="Tra cứu").click()
    assert "Không tìm thấy hồ sơ" in phone.get_by_role("alert").inner_text()
    phone.get_by_label("Mã tra cứu").fill(secret)
    phone.get_by_role("button", name="Tra cứu").click()
    check_page(phone, "13-citizen-dossier")
    recorded = phone.get_by_test_id(f"sha256-{results[0]}").inner_text()
    with phone.expect_download() as download:
        phone.get_by_role("button", name="Tải về Giấy khai sinh bản chính 1").click()
    signed = tmp_path / "ket-qua.pdf"
    download.value.save_as(signed)
    digest = hashlib.sha256(signed.read_bytes()).hexdigest()
    status = web.client("signer").get(f"/api/v1/documents/{results[0]}").json()
    assert digest == recorded == status["signed_sha256"]

    # --- the signed PDF's QR code opens the HTML verification page --------------------------
    verify_url = qr_of_pdf(signed)
    assert verify_url.startswith(f"{base}/xac-minh/")
    as_json = httpx.get(verify_url, headers={"Accept": "application/json"}).json()
    assert as_json["sha256"] == digest
    phone.goto(verify_url)
    assert phone.get_by_test_id("record-sha256").inner_text() == digest
    check_page(phone, "14-verify-record")
    phone.locator("#file").set_input_files(str(signed))
    phone.get_by_role("button", name="Đối chiếu và xác minh").click()
    assert "trùng khớp" in phone.get_by_test_id("compare").inner_text()
    assert phone.locator("h2.verdict-valid").count() == 1
    check_page(phone, "15-verify-copy-valid")

    tampered = tmp_path / "ket-qua-sua.pdf"
    tampered.write_bytes(_tamper(signed.read_bytes()))
    phone.locator("#file").set_input_files(str(tampered))
    phone.get_by_role("button", name="Đối chiếu và xác minh").click()
    assert "đã bị thay đổi" in phone.get_by_test_id("compare").inner_text()
    assert phone.locator("h2.verdict-valid").count() == 0
    check_page(phone, "16-verify-copy-tampered")

    # The verification page for anyone, with an upload.
    phone.goto(f"{base}/xac-minh")
    phone.locator("#file").set_input_files(str(signed))
    phone.get_by_role("button", name="Xác minh").click()
    assert phone.locator("h2.verdict-valid").count() == 1
    check_page(phone, "17-verify-upload")

    # --- leader, after: the indicators moved ------------------------------------------------
    leader.reload()
    after = _kpis(leader)
    assert after["dossiers_received"] == before["dossiers_received"] + 1
    assert after["dossiers_digitized_at_reception"] >= before["dossiers_digitized_at_reception"] + 1
    assert after["results_digitized_signed"] == before["results_digitized_signed"] + 3
    check_page(leader, "18-leader-indicators")
    with leader.expect_download() as csv_download:
        leader.get_by_role("link", name="Tải CSV").click()
    csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Kỳ,Từ ngày,Đến ngày,Hồ sơ tiếp nhận")
    assert re.search(r"^Tổng,", csv_text, re.M)
    for p in (leader, desk, office, phone):
        p.context.close()
