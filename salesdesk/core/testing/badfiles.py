"""Generators of malformed import files (issue 12, R4 "Bad files").

Each generator turns a table (a header and rows of cell values) into the bytes a user might
upload: an ``.xlsx`` with merged cells, hidden rows or formulas, a GBK CSV, a legacy ``.xls``
(through LibreOffice), a password-protected workbook, and the hostile ones that need no table
(a zip bomb disguised as ``.xlsx``, a 50 MB file, an executable renamed ``.xlsx``, an empty file).
Nothing here touches the database: tests/test_bad_files.py runs them against every importer."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

Table = Sequence[Sequence[Any]]  # header first

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def xlsx(rows: Table, *, merge: Sequence[str] = (), hidden_rows: Sequence[int] = (),
         formulas: dict[str, str] | None = None) -> bytes:
    """An ``.xlsx`` as openpyxl writes it (no cached formula values, like a generated file).
    ``merge``: ranges such as ``"A2:A3"`` (the covered cells are emptied, as Excel does);
    ``hidden_rows``: Excel row numbers to hide; ``formulas``: cell → formula (``"C2": "=1/0"``)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(list(row))
    for cell, formula in (formulas or {}).items():
        sheet[cell] = formula
    for cells in merge:
        sheet.merge_cells(cells)
    for number in hidden_rows:
        sheet.row_dimensions[number].hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def big_xlsx(header: Sequence[str], row: Sequence[Any], count: int) -> bytes:
    """``count`` copies of ``row`` under ``header``: the package is written by hand (inline strings,
    a true ``<dimension>``), 200k rows in about a second where a spreadsheet library takes a minute."""
    from xml.sax.saxutils import escape

    def cells(values: Sequence[Any], r: int | str) -> str:
        out = []
        for c, value in enumerate(values):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value not in (None, ""):
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        return "".join(out)

    last = f"{chr(64 + max(len(header), 1))}{count + 1}"
    template = cells(row, "§")
    rows = [f'<row r="1">{cells(header, 1)}</row>']
    rows += [f'<row r="{r}">{template.replace("§", str(r))}</row>' for r in range(2, count + 2)]
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:{last}"/><sheetData>{"".join(rows)}</sheetData></worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def csv_bytes(rows: Table, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([["" if v is None else str(v) for v in r] for r in rows])
    return out.getvalue().encode(encoding)


def empty() -> bytes:
    return b""


def executable() -> bytes:
    """The start of a Windows PE file (what an ``.exe`` renamed ``.xlsx`` looks like)."""
    stub = bytearray(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44)
    stub += b"\x80\x00\x00\x00" + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 400
    return bytes(stub)


def html_as_xls(rows: Table) -> bytes:
    """An HTML table saved as ``.xls`` (what many web systems "export to Excel")."""
    cells = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in rows)
    return f"<html><body><table>{cells}</table></body></html>".encode()


def truncated(data: bytes) -> bytes:
    """A workbook cut in half (an interrupted download)."""
    return data[: len(data) // 2]


def zip_bomb(uncompressed_mb: int = 60) -> bytes:
    """A package shaped like an ``.xlsx`` whose sheet inflates to ``uncompressed_mb`` MB from a
    few tens of KB (ratio ≈ 1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                                'package/2006/content-types"/>')
        package.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        chunk = b" " * (1024 * 1024)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            for _ in range(uncompressed_mb):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def huge(size_mb: int = 50, head: bytes = b"") -> bytes:
    """``size_mb`` MB: ``head`` (e.g. a CSV header) then incompressible-looking filler rows."""
    line = b"x" * 99 + b"\n"
    count = (size_mb * 1024 * 1024 - len(head)) // len(line) + 1
    return head + line * count


def password_protected() -> bytes:
    """What Excel writes for a workbook with an opening password: an OLE compound file holding
    ``EncryptionInfo`` and ``EncryptedPackage`` streams, not a zip. This is the header and
    directory of such a file (the streams' contents do not matter to a reader that refuses it)."""
    header = bytearray(512)
    header[0:8] = _OLE
    header[0x18:0x1A] = (0x3E).to_bytes(2, "little")  # minor version
    header[0x1A:0x1C] = (3).to_bytes(2, "little")  # major version: 512-byte sectors
    header[0x1C:0x1E] = (0xFFFE).to_bytes(2, "little")  # little endian
    header[0x1E:0x20] = (9).to_bytes(2, "little")
    header[0x20:0x22] = (6).to_bytes(2, "little")
    header[0x2C:0x30] = (1).to_bytes(4, "little")  # one FAT sector
    header[0x30:0x34] = (1).to_bytes(4, "little")  # directory starts at sector 1
    header[0x38:0x3C] = (4096).to_bytes(4, "little")
    header[0x3C:0x40] = (0xFFFFFFFE).to_bytes(4, "little")
    header[0x44:0x48] = (0xFFFFFFFE).to_bytes(4, "little")
    header[0x4C:0x50] = (0).to_bytes(4, "little")  # FAT in sector 0
    header[0x50:0x200] = b"\xff" * (0x200 - 0x50)
    fat = bytearray(b"\xff" * 512)
    fat[0:4] = (0xFFFFFFFD).to_bytes(4, "little")  # sector 0: FAT
    fat[4:8] = (0xFFFFFFFE).to_bytes(4, "little")  # sector 1: directory, end of chain
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry", "EncryptionInfo", "EncryptedPackage")):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[0:len(encoded)] = encoded
        entry[0x40:0x42] = len(encoded).to_bytes(2, "little")
        entry[0x42] = 5 if i == 0 else 2
        entry[0x44:0x50] = b"\xff" * 12
        entry[0x74:0x78] = (0xFFFFFFFE).to_bytes(4, "little")
        directory[i * 128:(i + 1) * 128] = entry
    return bytes(header + fat + directory)


def legacy_xls(tables: dict[str, Table]) -> dict[str, bytes]:
    """Real BIFF8 ``.xls`` files, one per table, converted by LibreOffice in one run (≈ 3 s).
    Returns {} when LibreOffice is not installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not tables:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = []
        for name, table in tables.items():
            path = folder / f"{name}.csv"
            path.write_bytes(csv_bytes(table))
            sources.append(str(path))
        env = {**os.environ, "HOME": tmp}
        command = [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                   "--infilter=CSV:44,34,76,1", "--convert-to", "xls:MS Excel 97", "--outdir", str(folder / "out"),
                   *sources]
        subprocess.run(command, check=False, capture_output=True, timeout=120, env=env)  # noqa: S603 - our own files
        return {name: (folder / "out" / f"{name}.xls").read_bytes()
                for name in tables if (folder / "out" / f"{name}.xls").exists()}
