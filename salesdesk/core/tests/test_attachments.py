"""Attachments (issue 3, item 9): checked uploads under random names, downloads only for those
who may see the owning object, as attachments with ``nosniff``.

The org ``User`` model stands in for a business object: it is registered as an owner here
(a user's files are seen and attached by the user and by those who see everything)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from salesdesk.core import attachments
from salesdesk.core.attachments import attach, get_owner_for_user, list_for, register_owner
from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import Attachment
from salesdesk.core.testing.queries import query_budget
from salesdesk.org.models import User

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
OOXML_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "</Types>"
)


def _owner_or_all_seeing(user, owner) -> bool:
    return user.pk == owner.pk or user.sees_everything


@pytest.fixture(autouse=True)
def users_own_attachments():
    previous = attachments.policy_for(User)
    register_owner(User, can_view=_owner_or_all_seeing, can_attach=_owner_or_all_seeing)
    yield
    if previous is None:
        attachments.unregister_owner(User)
    else:
        register_owner(previous.model, previous.can_view, previous.can_attach)


@pytest.fixture
def owner(personas):
    return personas["sales1"]


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def files_on_disk(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_refused(settings, owner, uploaded, *, code: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        attach(actor=owner, owner=owner, uploaded_file=uploaded)
    assert caught.value.code == code
    assert caught.value.field == "file"
    assert " / " in caught.value.message  # Chinese / English
    assert not Attachment.objects.exists()
    assert files_on_disk(settings) == []
    return caught.value


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "客户"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ooxml_zip(extra: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", OOXML_CONTENT_TYPES)
        zf.writestr("xl/workbook.xml", "<workbook/>")
        for name, data in extra.items():
            zf.writestr(name, data)
    return out.getvalue()


def stored(owner, name="合同扫描件.pdf", content=PDF_BYTES) -> Attachment:
    return attach(actor=owner, owner=owner, uploaded_file=upload(name, content))


# --- the service: what is accepted ---------------------------------------------------------


def test_a_pdf_is_stored_as_an_attachment_of_its_owner(settings, owner):
    # given a PDF; when its owner attaches it
    att = attach(actor=owner, owner=owner, uploaded_file=upload("报价单.pdf", PDF_BYTES), description="盖章版")
    # then a row points at the owner and the file is on disk
    att.refresh_from_db()
    assert (att.content_type, att.object_id) == (ContentType.objects.get_for_model(User), owner.pk)
    assert (att.original_name, att.mimetype, att.size, att.description) == (
        "报价单.pdf", "application/pdf", len(PDF_BYTES), "盖章版"
    )
    assert att.uploaded_by == owner
    assert files_on_disk(settings) == [Path(att.file.path)]


def test_the_stored_name_is_random_and_the_sha256_is_of_the_content(owner):
    # given two uploads under the same name; when both are stored
    first, second = stored(owner), stored(owner)
    # then neither disk name carries the original name, they differ, and the digest is right
    for att in (first, second):
        disk_name = Path(att.file.name).name
        assert "合同" not in disk_name and disk_name.endswith(".pdf")
        assert att.file.name.startswith("attachments/")
        assert att.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
        assert Path(att.file.path).read_bytes() == PDF_BYTES
    assert first.file.name != second.file.name


def test_a_real_xlsx_is_recognised_by_its_content_types(owner):
    # given a workbook written by openpyxl, sent with a wrong browser content type
    uploaded = upload("回款明细.xlsx", xlsx_bytes(), content_type="text/html")
    # when attached; then it is stored as an xlsx
    att = attach(actor=owner, owner=owner, uploaded_file=uploaded)
    assert att.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_gb18030_csv_is_accepted_as_text(owner):
    # given a CSV exported by a Chinese Excel (GB18030)
    content = "客户,金额\r\n华东机械,1200.00\r\n".encode("gb18030")
    # when attached; then it is stored as CSV
    att = attach(actor=owner, owner=owner, uploaded_file=upload("对账.csv", content, "text/csv"))
    assert att.mimetype == "text/csv"


def test_a_name_without_extension_gets_the_one_of_its_content(owner):
    # given a PNG named without extension; when attached
    att = attach(actor=owner, owner=owner, uploaded_file=upload("银行回单", PNG_BYTES, "application/octet-stream"))
    # then the kept name says what it is
    assert (att.original_name, att.mimetype) == ("银行回单.png", "image/png")


# --- the service: what is refused ----------------------------------------------------------


def test_an_executable_renamed_pdf_is_refused(settings, owner):
    # given a Windows executable named .pdf and sent as application/pdf; when attached; then refused
    assert_refused(settings, owner, upload("发票.pdf", b"MZ\x90\x00" + bytes(512)), code="executable")


def test_an_elf_binary_is_refused(settings, owner):
    assert_refused(settings, owner, upload("report.txt", b"\x7fELF\x02\x01\x01" + bytes(64)), code="executable")


def test_html_is_refused(settings, owner):
    # given an HTML page named .txt; when attached; then refused as a web page
    content = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    error = assert_refused(settings, owner, upload("说明.txt", content, "text/plain"), code="markup")
    assert "HTML" in error.message


def test_svg_is_refused(settings, owner):
    content = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert_refused(settings, owner, upload("logo.svg", content, "image/svg+xml"), code="markup")


def test_text_with_nul_bytes_is_refused(settings, owner):
    assert_refused(settings, owner, upload("数据.csv", b"a,b\x00\x00c\n", "text/csv"), code="unsupported_type")


def test_a_plain_zip_is_refused(settings, owner):
    # given a zip that is no Office document, named .xlsx; when attached; then refused
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("run.bat", "echo hi")
    assert_refused(settings, owner, upload("表格.xlsx", out.getvalue()), code="unsupported_type")


def test_a_file_over_the_size_limit_is_refused(settings, owner):
    # given a 1 KB limit; when a 2 KB PDF is attached; then refused with the limit in the message
    settings.MAX_UPLOAD_SIZE = 1024
    error = assert_refused(settings, owner, upload("大文件.pdf", PDF_BYTES + bytes(2048)), code="file_too_large")
    assert "1024 B" in error.message


def test_a_zip_bomb_disguised_as_xlsx_is_refused(settings, owner):
    # given an xlsx whose sheet compresses more than 100:1 (8 MB of zeros)
    bomb = ooxml_zip({"xl/worksheets/sheet1.xml": bytes(8 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    # when attached; then refused
    assert_refused(settings, owner, upload("回款.xlsx", bomb), code="zip_bomb")


def test_an_xlsx_expanding_past_the_cap_is_refused(settings, owner, monkeypatch):
    # given a cap of 64 KB on the expanded size and an xlsx of incompressible 100 KB
    monkeypatch.setattr(attachments, "ZIP_MAX_UNCOMPRESSED", 64 * 1024)
    content = ooxml_zip({"xl/media/image1.bin": hashlib.sha256(b"x").digest() * 3200})
    assert_refused(settings, owner, upload("回款.xlsx", content), code="zip_bomb")


def test_an_extension_contradicting_the_content_is_refused(settings, owner):
    # given a PDF named .exe; when attached; then refused (it would be saved as an .exe)
    assert_refused(settings, owner, upload("合同.exe", PDF_BYTES), code="extension_mismatch")


def test_an_empty_file_is_refused(settings, owner):
    assert_refused(settings, owner, upload("空.pdf", b""), code="empty_file")


# --- the registry --------------------------------------------------------------------------


def test_an_owner_the_user_may_not_see_is_not_found(personas, owner):
    # given another salesperson; when they look the owner up; then 404, as for a missing one
    from django.http import Http404

    ct = ContentType.objects.get_for_model(User)
    with pytest.raises(Http404):
        get_owner_for_user(ct.pk, owner.pk, personas["sales2"])
    with pytest.raises(Http404):
        get_owner_for_user(ct.pk, 999_999, personas["clerk"])
    assert get_owner_for_user(ct.pk, owner.pk, personas["clerk"]) == owner


def test_an_unregistered_model_owns_nothing(personas):
    from django.http import Http404

    ct = ContentType.objects.get_for_model(Attachment)
    with pytest.raises(Http404):
        get_owner_for_user(ct.pk, 1, personas["admin"])


def test_the_list_is_newest_first_in_one_query(owner):
    # given three attachments; when listed; then newest first, uploaders in the same query
    made = [stored(owner, name=f"{i}.pdf") for i in range(3)]
    with query_budget(1):
        rows = [(a.pk, a.uploaded_by.username) for a in list_for(owner)]
    assert rows == [(a.pk, owner.username) for a in reversed(made)]


# --- the views -----------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload_url(owner) -> str:
    return reverse("attachment_upload", args=[ContentType.objects.get_for_model(User).pk, owner.pk])


def test_an_htmx_upload_answers_the_refreshed_card(owner):
    # given the owner on their page; when they upload through htmx
    response = client_for(owner).post(
        upload_url(owner), {"file": upload("回单.pdf", PDF_BYTES), "description": "工行"}, HTTP_HX_REQUEST="true"
    )
    # then the card lists the new file and a toast is triggered
    assert response.status_code == 200
    att = Attachment.objects.get()
    assert 'id="attachments-' in response.content.decode()
    assert reverse("attachment_download", args=[att.pk]) in response.content.decode()
    assert "toast" in response["HX-Trigger"]


def test_a_refused_htmx_upload_shows_the_error_in_the_card(owner):
    response = client_for(owner).post(
        upload_url(owner), {"file": upload("x.pdf", b"MZ" + bytes(100))}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "可执行文件" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_plain_upload_redirects_back(owner):
    response = client_for(owner).post(upload_url(owner), {"file": upload("回单.pdf", PDF_BYTES), "next": "/org/"})
    assert (response.status_code, response["Location"]) == (302, "/org/")
    assert Attachment.objects.count() == 1


def test_uploading_to_an_owner_one_may_not_attach_to_is_not_found(settings, personas, owner):
    # given another salesperson; when they upload to sales1; then 404 and nothing stored
    response = client_for(personas["sales2"]).post(upload_url(owner), {"file": upload("x.pdf", PDF_BYTES)})
    assert response.status_code == 404
    assert not Attachment.objects.exists()
    assert files_on_disk(settings) == []


def test_a_download_is_an_attachment_with_the_chinese_name_and_nosniff(owner):
    # given a stored PDF; when its owner downloads it
    att = stored(owner, name="合同扫描件.pdf")
    response = client_for(owner).get(reverse("attachment_download", args=[att.pk]))
    # then it comes as an attachment under the original name, not to be sniffed
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"filename*=utf-8''{quote('合同扫描件.pdf')}" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_a_text_file_is_downloaded_as_octet_stream(owner):
    att = stored(owner, name="对账.csv", content=b"a,b\n1,2\n")
    response = client_for(owner).get(reverse("attachment_download", args=[att.pk]))
    assert response["Content-Type"] == "application/octet-stream"


def test_a_user_who_may_not_see_the_owner_gets_404(personas, owner):
    # given sales1's file; when sales2 (another team) asks for it; then not found
    att = stored(owner)
    response = client_for(personas["sales2"]).get(reverse("attachment_download", args=[att.pk]))
    assert response.status_code == 404


def test_an_unknown_attachment_is_not_found(personas):
    response = client_for(personas["clerk"]).get(reverse("attachment_download", args=[999_999]))
    assert response.status_code == 404


def test_a_missing_file_is_not_found(owner):
    # given a row whose file was removed from disk; when downloaded; then 404
    att = stored(owner)
    Path(att.file.path).unlink()
    response = client_for(owner).get(reverse("attachment_download", args=[att.pk]))
    assert response.status_code == 404


def test_an_anonymous_download_goes_to_the_login_page(owner):
    att = stored(owner)
    response = Client().get(reverse("attachment_download", args=[att.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_upload_spooled_to_disk_is_stored_whole(settings, owner):
    # given uploads spooled to a temporary file from the first byte; when a PDF is uploaded
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    content = PDF_BYTES + b"%" + bytes(range(256)) * 64
    response = client_for(owner).post(upload_url(owner), {"file": upload("回单.pdf", content)}, HTTP_HX_REQUEST="true")
    # then it is stored with its full content and digest
    assert response.status_code == 200
    att = Attachment.objects.get()
    assert Path(att.file.path).read_bytes() == content
    assert att.sha256 == hashlib.sha256(content).hexdigest()
