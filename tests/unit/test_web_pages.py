"""The pages in-process: headers (CSP, no-store), CSRF, sessions, roles, forms, the receipt,
the citizen lookup that reveals nothing, content negotiation of the QR page, and the catalog."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.domain import DocumentKind, DocumentStatus
from storage import records
from tests.unit.web_client import WebApp, csrf_of, log_in, new_dossier, seeded_database, web_app


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_database(tmp_path_factory.mktemp("web-seed"))


@pytest.fixture
def app(tmp_path: Path, seed: Path) -> Iterator[WebApp]:
    made = web_app(tmp_path, seed)
    yield made
    made.runtime.close()


@pytest.fixture
def client(app: WebApp) -> Iterator[TestClient]:
    with app.client() as c:
        yield c


def test_pages_are_vietnamese_with_a_strict_csp_and_no_store(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Tên đăng nhập" in page.text and "Mật khẩu" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["cache-control"] == "no-store"
    # No inline script anywhere: every <script> has a src under /static.
    assert "<script>" not in page.text and '<script src="/static/' in page.text
    english = client.get("/lang/en?next=/login", follow_redirects=True)
    assert '<html lang="en">' in english.text and "User name" in english.text


def test_every_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/login")
    refused = client.post("/login", data={"username": "rec", "password": "x"})
    assert refused.status_code == 403
    assert "Mã bảo vệ của biểu mẫu" in refused.text
    forged = client.post(
        "/login", data={"username": "rec", "password": "x", "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403


def test_login_sets_an_httponly_strict_session_and_logout_ends_it(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "rec", "password": "a long enough password", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/reception"
    cookie = response.headers["set-cookie"]
    assert "sohoa_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/reception").status_code == 200
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    again = client.get("/reception", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/login?next=%2Freception"


def test_wrong_password_is_refused_in_vietnamese_without_a_session(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "rec", "password": "wrong", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    assert "sohoa_session" not in response.headers.get("set-cookie", "")


def test_open_redirects_after_login_are_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "username": "rec",
            "password": "a long enough password",
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/reception"


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("rec", "/reception", 200),
        ("rec", "/backoffice", 403),
        ("rec", "/leader", 403),
        ("rec", "/admin/users", 403),
        ("sig", "/backoffice", 200),
        ("sig", "/reception", 403),
        ("boss", "/leader", 200),
        ("boss", "/backoffice", 403),
        ("boss", "/staff/dossiers/X-1", 403),
        ("adm", "/admin/users", 200),
        ("adm", "/leader", 200),
    ],
)
def test_staff_pages_need_their_role(client: TestClient, user: str, path: str, status: int) -> None:
    log_in(client, user)
    assert client.get(path).status_code == status


def test_new_dossier_checks_the_cccd_and_shows_the_secret_once(client: TestClient) -> None:
    log_in(client, "rec")
    token = csrf_of(client.get("/reception").text)
    bad = client.post(
        "/reception/dossiers",
        data={"csrf_token": token, "procedure_code": "1.1", "procedure_name": "X",
              "applicant_name": "A", "id_number": "12345678901", "appointment": "2099-01-01"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "Số căn cước công dân (CCCD) gồm đúng 12 chữ số." in bad.text
    code, secret = new_dossier(client)
    desk = client.get(f"/reception/dossiers/{code}")
    assert secret not in desk.text  # only the creation answer shows it


def test_receipt_pdf_has_the_secret_and_a_qr_to_the_lookup_page(
    client: TestClient, tmp_path: Path
) -> None:
    log_in(client, "rec")
    code, secret = new_dossier(client)
    token = csrf_of(client.get(f"/reception/dossiers/{code}").text)
    wrong = client.post(
        f"/reception/dossiers/{code}/receipt", data={"csrf_token": token, "secret": "nope"}
    )
    assert wrong.status_code == 404
    pdf = client.post(
        f"/reception/dossiers/{code}/receipt", data={"csrf_token": token, "secret": secret}
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert secret in text and code in text and "Lê Thị Ánh" in text and "01/01/2099" in text
    if shutil.which("zbarimg"):
        subprocess.run(
            ["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(tmp_path / "r")],
            check=True,
        )
        qr = (
            subprocess.run(
                ["zbarimg", "--raw", "-q", str(tmp_path / "r.png")],
                capture_output=True,
                check=False,
            )
            .stdout.decode()
            .strip()
        )
        assert qr == f"http://sohoa.test/tra-cuu?ma={code}"


def test_citizen_lookup_never_tells_a_wrong_secret_from_an_unknown_code(
    client: TestClient,
) -> None:
    log_in(client, "rec")
    code, secret = new_dossier(client)
    citizen = client
    citizen.post("/logout", data={"csrf_token": csrf_of(citizen.get("/reception").text)})
    prefilled = citizen.get(f"/tra-cuu?ma={code}")
    assert f'value="{code}"' in prefilled.text and "Mã hồ sơ" in prefilled.text
    token = csrf_of(prefilled.text)
    wrong = citizen.post("/tra-cuu", data={"csrf_token": token, "code": code, "secret": "x"})
    unknown_code = "000.11.22.H33-990101-9999"
    unknown = citizen.post(
        "/tra-cuu", data={"csrf_token": token, "code": unknown_code, "secret": "x"}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.text.replace(code, "C") == unknown.text.replace(unknown_code, "C")
    right = citizen.post("/tra-cuu", data={"csrf_token": token, "code": code, "secret": secret})
    assert right.status_code == 200 and "Hồ sơ đã được tiếp nhận" in right.text
    assert right.headers["cache-control"] == "no-store"
    # The secret never travels in a URL: the download forms post it.
    assert "secret=" not in right.text.replace('name="secret"', "")


def test_qr_page_is_html_for_browsers_and_json_for_api_clients(
    app: WebApp, client: TestClient
) -> None:
    log_in(client, "rec")
    code, _ = new_dossier(client)
    with app.runtime.session() as session:
        dossier = records.get_dossier(session, code)
        document = records.add_document(
            session, dossier, kind=DocumentKind.RESULT, type_name="Quyết định", page_count=1
        )
        document.status = DocumentStatus.SIGNED
        document.signed_sha256 = "ab" * 32
        reference = document.verification_token
    assert reference
    html = client.get(f"/xac-minh/{reference}", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "Quyết định" in html.text and "ab" * 32 in html.text
    assert html.headers["vary"] == "Accept"
    body = client.get(f"/xac-minh/{reference}", headers={"Accept": "application/json"}).json()
    assert body["sha256"] == "ab" * 32 and body["status"] == "signed"
    assert "dossier_code" not in body and "id" not in body
    assert client.get(f"/xac-minh/{document.id}").status_code == 404


def test_indicators_api_is_for_leaders_and_admins(client: TestClient) -> None:
    def bearer(user: str) -> dict[str, str]:
        token = client.post(
            "/api/v1/auth/token", data={"username": user, "password": "a long enough password"}
        ).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    log_in(client, "rec")
    new_dossier(client)
    body = client.get("/api/v1/indicators?by=month", headers=bearer("boss")).json()
    assert body["dossiers_received"] == 1 and body["by"] == "month"
    assert sum(p["dossiers_received"] for p in body["trend"]) == 1
    assert client.get("/api/v1/indicators", headers=bearer("rec")).status_code == 403
    bad = client.get("/api/v1/indicators?from=2026-02-01&to=2026-01-01", headers=bearer("adm"))
    assert bad.status_code == 422


def test_leader_page_and_csv_show_the_same_figures(client: TestClient) -> None:
    log_in(client, "rec")
    new_dossier(client)
    new_dossier(client, "001203004568")
    log_in(client, "boss")
    page = client.get("/leader?by=month")
    assert 'data-testid="dossiers_received">2<' in page.text
    assert "<svg" in page.text and "<script" not in page.text.split("</head>")[1]
    csv_text = client.get("/leader/indicators.csv?by=month").content.decode("utf-8-sig")
    header, *rows = csv_text.splitlines()
    assert header.startswith("Kỳ,Từ ngày,Đến ngày,Hồ sơ tiếp nhận")
    assert rows[-1].split(",")[0] == "Tổng" and rows[-1].split(",")[3] == "2"


def test_admin_creates_changes_and_disables_accounts(client: TestClient) -> None:
    log_in(client, "adm")
    token = csrf_of(client.get("/admin/users").text)
    made = client.post(
        "/admin/users",
        data={"csrf_token": token, "username": "moi", "password": "mật khẩu dài", "role": "signer"},
    )
    assert made.status_code == 200 and "moi" in made.text
    client.post("/admin/users/moi", data={"csrf_token": token, "action": "role", "role": "leader"})
    client.post("/admin/users/moi", data={"csrf_token": token, "action": "disable"})
    listing = client.get("/admin/users").text
    row = listing.split("<td>moi</td>", 1)[1].split("</tr>", 1)[0]
    assert "Lãnh đạo" in row and "Đã khóa" in row
    own = client.post("/admin/users/adm", data={"csrf_token": token, "action": "disable"})
    assert "Không thể khóa tài khoản của chính mình." in own.text


def test_a_failed_document_shows_its_error_in_vietnamese_with_a_retry_button(
    app: WebApp, client: TestClient
) -> None:
    log_in(client, "rec")
    code, _ = new_dossier(client)
    with app.runtime.session() as session:
        document = records.add_document(
            session, records.get_dossier(session, code), kind=DocumentKind.SUBMITTED,
            type_name="Sổ hộ khẩu", page_count=2,
        )  # fmt: skip
        records.mark_failed(
            session, document, error_code="ocr-failed", error_detail="tesseract exited with 1"
        )
    card = client.get(f"/staff/documents/{document.id}/card")
    assert card.status_code == 200
    assert 'data-status="failed"' in card.text and "hx-trigger" not in card.text  # no polling
    assert "Nhận dạng ký tự thất bại" in card.text and "tesseract" not in card.text
    assert f'hx-post="/staff/documents/{document.id}/retry"' in card.text
    assert client.post(f"/staff/documents/{document.id}/retry").status_code == 403  # no CSRF
    client.get(f"/lang/en?next=/staff/dossiers/{code}")
    english = client.get(f"/staff/documents/{document.id}/card")
    assert "tesseract exited with 1" in english.text and "Retry" in english.text


def test_a_running_document_card_polls_and_shows_per_page_progress(
    app: WebApp, client: TestClient
) -> None:
    log_in(client, "rec")
    code, _ = new_dossier(client)
    with app.runtime.session() as session:
        document = records.add_document(
            session, records.get_dossier(session, code), kind=DocumentKind.SUBMITTED,
            type_name="Giấy chứng nhận", page_count=3,
        )  # fmt: skip
        document.status = DocumentStatus.PROCESSING
        document.pages_done = 1
    card = client.get(f"/staff/documents/{document.id}/card").text
    assert 'hx-trigger="every 1s"' in card
    assert "Đã xử lý 1/3 trang" in card and 'value="1"' in card and 'max="3"' in card
