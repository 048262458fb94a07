"""Attachments: who may see or attach files on which objects, and the checked upload.

Each app registers the models that own attachments with :func:`register_owner`, saying who may
see them and who may attach files to them, so the core never imports higher apps. A file is
accepted by :func:`attach` only after its size is checked and its type is recognised from its
content (the name's extension and the browser's content type are not trusted); it is stored
under a random name and served only by ``attachment_views.download`` after a visibility check
of the owning object.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404

from .errors import InvalidInput
from .models import Attachment

Check = Callable[[Any, Any], bool]  # (user, owner object) -> allowed


# --- the owner registry -------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerPolicy:
    model: type[models.Model]
    can_view: Check
    can_attach: Check


_owners: dict[str, OwnerPolicy] = {}


def register_owner(model: type[models.Model], can_view: Check, can_attach: Check) -> OwnerPolicy:
    """Declare that objects of ``model`` carry attachments: ``can_view(user, obj)`` decides who
    may list and download them, ``can_attach(user, obj)`` who may upload (checked together with
    ``can_view``). Called from the owning app's ``AppConfig.ready``."""
    policy = OwnerPolicy(model=model, can_view=can_view, can_attach=can_attach)
    _owners[model._meta.label_lower] = policy
    return policy


def unregister_owner(model: type[models.Model]) -> None:
    """Forget ``model`` (tests)."""
    _owners.pop(model._meta.label_lower, None)


def policy_for(model_or_obj: type[models.Model] | models.Model) -> OwnerPolicy | None:
    return _owners.get(model_or_obj._meta.label_lower)


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_view_owner(user, owner: models.Model) -> bool:
    policy = policy_for(owner)
    return policy is not None and _active(user) and bool(policy.can_view(user, owner))


def can_attach_to(user, owner: models.Model) -> bool:
    policy = policy_for(owner)
    return can_view_owner(user, owner) and bool(policy.can_attach(user, owner))


def get_owner_for_user(content_type_id: int | str, object_id: int | str, user, *, attach: bool = False) -> models.Model:
    """The owning object, if ``user`` may see it (and, with ``attach=True``, attach files to it).

    Raises ``Http404`` alike for an unknown type, an unregistered model, a missing object and an
    object the user may not see, so nothing tells them apart."""
    try:
        ct = ContentType.objects.get_for_id(int(content_type_id))
        pk = int(object_id)
    except (ContentType.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    model = ct.model_class()
    if model is None or policy_for(model) is None:
        raise Http404
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise Http404
    allowed = can_attach_to(user, obj) if attach else can_view_owner(user, obj)
    if not allowed:
        raise Http404
    return obj


# --- recognising the content ----------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    code: str
    mimetype: str
    extensions: tuple[str, ...]  # the first is used when the name has none


PDF = Kind("pdf", "application/pdf", ("pdf",))
JPEG = Kind("jpeg", "image/jpeg", ("jpg", "jpeg", "jpe", "jfif"))
PNG = Kind("png", "image/png", ("png",))
GIF = Kind("gif", "image/gif", ("gif",))
WEBP = Kind("webp", "image/webp", ("webp",))
XLSX = Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",))
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",))
XLS = Kind("xls", "application/vnd.ms-excel", ("xls",))
DOC = Kind("doc", "application/msword", ("doc",))
CSV = Kind("csv", "text/csv", ("csv",))
TXT = Kind("txt", "text/plain", ("txt",))

# Types a browser may show itself; everything else is downloaded as application/octet-stream.
INLINE_SAFE_MIMETYPES = frozenset({PDF.mimetype, JPEG.mimetype, PNG.mimetype, GIF.mimetype, WEBP.mimetype})

ALLOWED_EXTENSIONS: tuple[str, ...] = tuple(
    ext for kind in (PDF, JPEG, PNG, GIF, WEBP, XLSX, DOCX, XLS, DOC, CSV, TXT) for ext in kind.extensions
)

ZIP_MAX_UNCOMPRESSED = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 10_000
CONTENT_TYPES_MAX_BYTES = 1024 * 1024

_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
}
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
)
_MARKUP_START = re.compile(r"^\s*<(?:!doctype|\?xml|html|head|body|svg|script|iframe|object|embed|meta|!--)", re.I)
_MARKUP_ANYWHERE = re.compile(r"<(?:script|svg|html|iframe)[\s/>]", re.I)
# C0/C1 control characters except tab, line feed, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_CHUNK = 64 * 1024

MSG_EMPTY = "文件为空 / The file is empty."
MSG_EXECUTABLE = "不允许上传可执行文件 / Executable files may not be uploaded."
MSG_MARKUP = "不允许上传 HTML、SVG 等网页文件 / HTML, SVG and other web page files may not be uploaded."
MSG_UNSUPPORTED = (
    "不支持的文件类型，只能上传 PDF、图片（JPG/PNG/GIF/WebP）、Excel、Word、CSV 或 TXT 文件 / "
    "Unsupported file type: only PDF, images (JPG/PNG/GIF/WebP), Excel, Word, CSV or TXT files are accepted."
)
MSG_ZIP_BOMB = (
    "压缩后的 Office 文件解压过大，疑为恶意文件 / The Office file expands to an excessive size and is refused."
)
MSG_EXTENSION = (
    "文件扩展名与文件内容不符（内容为 {kind}） / The file name's extension does not match its content ({kind})."
)


def _too_large_message() -> str:
    mb = settings.MAX_UPLOAD_SIZE / (1024 * 1024)
    limit = f"{mb:g} MB" if mb >= 1 else f"{settings.MAX_UPLOAD_SIZE} B"
    return f"文件超过大小上限 {limit} / The file exceeds the size limit of {limit}."


def _refuse(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, field="file", code=code)


def _chunks(f: IO[bytes]):
    f.seek(0)
    while chunk := f.read(_CHUNK):
        yield chunk


def _ooxml_kind(f: IO[bytes]) -> Kind:
    """XLSX or DOCX from the package's ``[Content_Types].xml``, after the zip-bomb caps."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    f.seek(0)
    try:
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            if len(infos) > ZIP_MAX_ENTRIES:
                raise _refuse(MSG_ZIP_BOMB, "zip_bomb")
            uncompressed = sum(i.file_size for i in infos)
            compressed = sum(i.compress_size for i in infos)
            if uncompressed > ZIP_MAX_UNCOMPRESSED or uncompressed > ZIP_MAX_RATIO * max(compressed, 1):
                raise _refuse(MSG_ZIP_BOMB, "zip_bomb")
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names:
                raise _refuse(MSG_UNSUPPORTED, "unsupported_type")
            with zf.open("[Content_Types].xml") as member:
                raw = member.read(CONTENT_TYPES_MAX_BYTES + 1)
            if len(raw) > CONTENT_TYPES_MAX_BYTES:
                raise _refuse(MSG_UNSUPPORTED, "unsupported_type")
            root = fromstring(raw, forbid_dtd=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ParseError, DefusedXmlException,
            RuntimeError, EOFError, OSError, ValueError):
        raise _refuse(MSG_UNSUPPORTED, "unsupported_type") from None
    for override in root.iter(f"{_CT_NS}Override"):
        kind = _OOXML_MAIN.get((override.get("ContentType") or "").strip().lower())
        part = (override.get("PartName") or "").lstrip("/")
        if kind is not None and part in names:
            return kind
    raise _refuse(MSG_UNSUPPORTED, "unsupported_type")


def _text_is_clean(f: IO[bytes], encoding: str) -> str | None:
    """The first part of the text if the whole file decodes in ``encoding`` without NUL or other
    control characters; None otherwise."""
    decoder = codecs.getincrementaldecoder(encoding)()
    head = ""
    try:
        for chunk in _chunks(f):
            text = decoder.decode(chunk)
            if _CONTROL.search(text):
                return None
            if _MARKUP_ANYWHERE.search(text):
                raise _refuse(MSG_MARKUP, "markup")
            if len(head) < 4096:
                head += text[:4096]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return head


def _text_kind(f: IO[bytes], extension: str) -> Kind | None:
    for encoding in ("utf-8-sig", "gb18030"):
        head = _text_is_clean(f, encoding)
        if head is not None:
            if _MARKUP_START.search(head):
                raise _refuse(MSG_MARKUP, "markup")
            return CSV if extension == "csv" else TXT
    return None


def detect_kind(f: IO[bytes], extension: str = "") -> Kind:
    """The kind of the file from its content; ``extension`` (lower case, no dot) only picks between
    kinds the content cannot tell apart (XLS/DOC, CSV/TXT). Raises ``InvalidInput`` if refused."""
    f.seek(0)
    head = f.read(16)
    if not head:
        raise _refuse(MSG_EMPTY, "empty_file")
    if head.startswith(_EXECUTABLE_MAGIC):
        raise _refuse(MSG_EXECUTABLE, "executable")
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(f)
    if head.startswith(_OLE):
        # An OLE container: legacy Excel or Word, but also .msi installers and others.
        if extension in XLS.extensions:
            return XLS
        if extension in DOC.extensions:
            return DOC
        raise _refuse(MSG_UNSUPPORTED, "unsupported_type")
    kind = _text_kind(f, extension)
    if kind is None:
        raise _refuse(MSG_UNSUPPORTED, "unsupported_type")
    return kind


# --- the service --------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    return name or "file"


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, ext.lower()) if dot and stem else (name, "")


def _fit(name: str, limit: int = 255) -> str:
    if len(name) <= limit:
        return name
    stem, ext = _split_extension(name)
    return f"{stem[: limit - len(ext) - 1]}.{ext}" if ext else name[:limit]


def attach(*, actor, owner: models.Model, uploaded_file, description: str = "") -> Attachment:
    """Check and store ``uploaded_file`` as an attachment of ``owner``.

    Refuses (``InvalidInput`` on field ``file``) files over ``MAX_UPLOAD_SIZE``, empty files,
    executables, HTML/SVG, zip bombs, anything that is not PDF, JPEG, PNG, GIF, WebP, XLSX, DOCX,
    XLS, DOC, CSV or TXT by content, and names whose extension contradicts the content. Nothing
    is written when it refuses."""
    if policy_for(owner) is None:
        raise LookupError(f"{owner._meta.label} is not registered as an attachment owner")
    if not can_attach_to(actor, owner):
        raise PermissionDenied
    if uploaded_file.size is not None and uploaded_file.size > settings.MAX_UPLOAD_SIZE:
        raise _refuse(_too_large_message(), "file_too_large")

    original = _clean_name(getattr(uploaded_file, "name", "") or "")
    _, extension = _split_extension(original)
    kind = detect_kind(uploaded_file, extension)
    if not extension:
        original = f"{original}.{kind.extensions[0]}"
    elif extension not in kind.extensions and not (kind in (CSV, TXT) and extension in ("csv", "txt")):
        raise _refuse(MSG_EXTENSION.format(kind=kind.code.upper()), "extension_mismatch")

    digest = hashlib.sha256()
    size = 0
    for chunk in _chunks(uploaded_file):
        digest.update(chunk)
        size += len(chunk)
    if size > settings.MAX_UPLOAD_SIZE:
        raise _refuse(_too_large_message(), "file_too_large")
    if size == 0:
        raise _refuse(MSG_EMPTY, "empty_file")
    uploaded_file.seek(0)

    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(owner),
        object_id=owner.pk,
        original_name=_fit(original),
        size=size,
        mimetype=kind.mimetype,
        sha256=digest.hexdigest(),
        description=(description or "").strip()[:200],
        uploaded_by=actor,
    )
    with transaction.atomic():
        # The name given here only carries the extension: upload_to makes the random name.
        attachment.file.save(f"upload.{kind.extensions[0]}", uploaded_file, save=False)
        try:
            attachment.save()
        except BaseException:
            attachment.file.storage.delete(attachment.file.name)
            raise
    return attachment


def list_for(owner: models.Model) -> QuerySet[Attachment]:
    """The attachments of ``owner``, newest first, with their uploaders."""
    return (
        Attachment.objects.filter(content_type=ContentType.objects.get_for_model(owner), object_id=owner.pk)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def download_content_type(attachment: Attachment) -> str:
    return attachment.mimetype if attachment.mimetype in INLINE_SAFE_MIMETYPES else "application/octet-stream"


def panel_context(user, owner: models.Model, *, next_url: str = "", error: str = "") -> dict[str, Any]:
    """What ``partials/attachments.html`` needs, under the name ``panel``::

        {% include "partials/attachments.html" with panel=attachments_panel %}
    """
    ct = ContentType.objects.get_for_model(owner)
    return {
        "content_type_id": ct.pk,
        "object_id": owner.pk,
        "dom_id": f"attachments-{ct.pk}-{owner.pk}",
        "attachments": list(list_for(owner)),
        "can_attach": can_attach_to(user, owner),
        "next_url": next_url,
        "error": error,
        "accept": ",".join(f".{e}" for e in ALLOWED_EXTENSIONS),
        "max_upload_size": settings.MAX_UPLOAD_SIZE,
    }
