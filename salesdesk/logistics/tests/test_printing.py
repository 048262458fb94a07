"""The delivery note (送货单) PDF: the Chinese text is really in it (pdftotext), prices and the total
in capitals only for users who see prices, and the page size is a template setting (A4 or the
241 mm × 140 mm continuous forms)."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.test import Client

from salesdesk.core.testing.personas import PASSWORD
from salesdesk.org.models import CompanyProfile

from .test_pages import dispatched, ready_order

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # PDF points per millimetre


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode()


def page_size_mm(content: bytes) -> tuple[int, int]:
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True).stdout.decode()
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return round(float(width) / MM), round(float(height) / MM)


@pytest.fixture
def note(personas):
    """A dispatched shipment of 3 units at 1,234.56 (3,703.68) to a customer with a delivery address."""
    CompanyProfile.objects.filter(pk=CompanyProfile.current().pk).update(
        name="华远润滑油销售有限公司", address="郑州市金水区花园路 88 号", phone="0371-6566 8888")
    order, (prod,) = ready_order(personas, lines=((10, "1234.56"),), paid_amount="12345.60", name="洛阳重型机械有限公司")
    order.delivery_address = "洛阳市涧西区建设路 206 号 三号门"
    order.delivery_contact = "王主任"
    order.delivery_phone = "13800138000"
    order.save()
    prod.name, prod.specification, prod.unit = "抗磨液压油", "L-HM46 18L", "桶"
    prod.save()
    return dispatched(personas, order, prod, qty="3", carrier="SF", waybill_no="SF1234567890123", warehouse="一号库")


def get(username: str, url: str):
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client.get(url)


def test_the_delivery_note_carries_company_customer_address_lines_and_the_total_in_capitals(note):
    response = get("clerk", f"/logistics/shipments/{note.pk}/print/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("送货单", "华远润滑油销售有限公司", "郑州市金水区花园路 88 号", "洛阳重型机械有限公司",
                     "洛阳市涧西区建设路 206 号", "王主任", "13800138000", note.number, note.order.number, "抗磨液压油",
                     "L-HM46 18L", "桶", "顺丰",
                     "SF1234567890123", "1,234.56", "3,703.68", "人民币叁仟柒佰零叁元陆角捌分", "收货人签字"):
        assert expected in text, expected


def test_the_warehouse_prints_the_delivery_note_without_prices(note):
    text = pdf_text(get("warehouse", f"/logistics/shipments/{note.pk}/print/").content)

    assert "抗磨液压油" in text and "收货人签字" in text
    assert "1,234.56" not in text and "3,703.68" not in text and "叁仟" not in text and "单价" not in text


def test_a4_is_the_default_page_size(note):
    assert page_size_mm(get("clerk", f"/logistics/shipments/{note.pk}/print/").content) == (210, 297)


def test_the_241_continuous_form_is_241_by_140_mm(note):
    content = get("clerk", f"/logistics/shipments/{note.pk}/print/?size=241").content

    assert page_size_mm(content) == (241, 140)
    assert "第三联 回单" in pdf_text(content)


def test_the_default_size_is_a_setting(note, settings):
    settings.LOGISTICS_DELIVERY_NOTE_SIZE = "241"

    assert page_size_mm(get("clerk", f"/logistics/shipments/{note.pk}/print/").content) == (241, 140)
    assert page_size_mm(get("clerk", f"/logistics/shipments/{note.pk}/print/?size=A4").content) == (210, 297)


def test_an_unknown_size_falls_back_to_the_default(note):
    assert page_size_mm(get("clerk", f"/logistics/shipments/{note.pk}/print/?size=A0").content) == (210, 297)


def test_another_teams_delivery_note_is_not_found(personas):
    order, (prod,) = ready_order(personas, owner="sales2")
    shipment = dispatched(personas, order, prod)

    assert get("sales1", f"/logistics/shipments/{shipment.pk}/print/").status_code == 404
