"""The customer list's Excel export opens in LibreOffice: the clerk's filtered export is converted
headless to CSV by ``soffice`` and read back (exporter, header row, the filtered customers).

Debian's ``libreoffice-calc-nogui`` provides ``soffice``; the CI installs it, so this runs there."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from salesdesk.core.testing.personas import PASSWORD

from .factories import CustomerFactory

SOFFICE = shutil.which("soffice")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="soffice not installed (apt-get install libreoffice-calc-nogui)"),
]

HEADER = ["客户编号", "客户名称", "负责业务员", "联系人", "联系人电话", "状态", "等级", "区域", "结算方式", "信用额度",
          "建档时间"]


def _to_csv(xlsx: Path, outdir: Path) -> list[list[str]]:
    """``soffice --headless --convert-to csv`` with a private profile (no clash with another
    LibreOffice running), the CSV as UTF-8 rows."""
    profile = (outdir / "lo-profile").as_uri()
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore",
         # Filter options: comma-separated, '"'-quoted, UTF-8 (76), first sheet.
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(outdir), str(xlsx)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    converted = outdir / f"{xlsx.stem}.csv"
    assert result.returncode == 0 and converted.exists(), (result.returncode, result.stdout, result.stderr)
    with converted.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_filtered_customer_export_opens_in_libreoffice(client, personas, tmp_path):
    sales1 = personas["sales1"]
    CustomerFactory(code="KH-900001", name="北京华远贸易有限公司", salesperson=sales1)
    CustomerFactory(code="KH-900002", name="天津港联物流有限公司", salesperson=sales1)
    CustomerFactory(code="KH-900003", name="广州南粤食品有限公司", salesperson=personas["sales2"])
    assert client.login(username="clerk", password=PASSWORD)

    response = client.get(f"/customers/?salesperson={sales1.pk}&export=xlsx")
    assert response.status_code == 200
    xlsx = tmp_path / "customers.xlsx"
    xlsx.write_bytes(response.content)
    rows = _to_csv(xlsx, tmp_path)

    assert "王丽" in rows[0][0]  # the exporter, named in A1
    assert rows[1][: len(HEADER)] == HEADER
    customers = sorted((row[0], row[1]) for row in rows[2:] if any(row))
    assert customers == [("KH-900001", "北京华远贸易有限公司"), ("KH-900002", "天津港联物流有限公司")]
    assert all(row[2] == "张伟" for row in rows[2:] if any(row))
