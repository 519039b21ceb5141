"""Safe handling of uploaded files: size limit, generated names, format sniffing, zip checks.

Rules (defaults and their sources: docs/sources.md, "Security defaults"):

- an upload is stored under ``<data>/uploads/`` with a generated name; the
  user's file name is kept only as a label, never as a path;
- files larger than :func:`max_upload_bytes` are refused before being written;
- the file content must match its extension (magic bytes);
- zip archives are checked member by member before extraction: no absolute
  paths, no ``..``, no links, a compression-ratio cap and a total-size cap
  (zip-bomb defence, as recommended by the OWASP File Upload Cheat Sheet); the total is
  also capped by the free disk (:func:`unzipped_cap`);
- a staged upload lives only while its import runs (:func:`discard_staged`); staging
  folders and files left by a killed import are removed by age on the next upload or
  import (:func:`clean_stale_uploads`);
- tables (``.xlsx``/``.csv``, for the PV installation ledger): an ``.xlsx`` is a zip and gets the
  same zip checks, must be an Office Open XML workbook and may not declare XML entities
  (:func:`check_xlsx`); a ``.csv`` must be text (:func:`check_text`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from cyc_geo import paths

DEFAULT_MAX_UPLOAD_MB = 200
"""Default upload limit in MB; equals Streamlit's own ``server.maxUploadSize`` default (200 MB)."""

MAX_ZIP_RATIO = 1000.0
"""Largest allowed uncompressed/compressed ratio of a zip member (members over 1 MB).
Deflate cannot exceed about 1032:1, so a higher ratio means a crafted member (e.g. bzip2
bombs); real DBF files with padded text fields reach a few hundred (140:1 measured on a
50,000-row township table). Deflate bombs are stopped by the total-size cap below (docs/sources.md, "Security defaults")."""

MAX_ZIP_MEMBERS = 10_000
"""Most members accepted in one archive (a FileGDB folder has a few dozen files; docs/sources.md, "Security defaults")."""

UNZIPPED_FACTOR = 10
"""Total uncompressed size cap = this many times the upload limit (default 2 GB; docs/sources.md, "Security defaults")."""

FREE_DISK_SHARE = 0.25
"""Share of the free disk one editor's upload may expand to (docs/sources.md, "Security defaults")."""

ANONYMOUS_FREE_DISK_SHARE = 0.02
"""Share of the free disk an upload by a visitor who is not signed in may expand to, and never more
than one upload limit (docs/sources.md, "Security defaults")."""

STALE_UPLOAD_S = 6 * 3600.0
"""Age (s, newest file inside) after which a staging folder ``x-*`` or a staged upload is treated as
left by a killed import and removed (docs/sources.md, "Security defaults")."""

VECTOR_EXTS = {".zip", ".shp", ".gpkg", ".geojson", ".json", ".parquet", ".geoparquet", ".kml", ".kmz"}
RASTER_EXTS = {".tif", ".tiff"}
TABLE_EXTS = {".xlsx", ".csv"}
"""Tables (no geometry) accepted only for layers with a table reader (the PV installation ledger);
see :data:`cyc_geo.ingest.importer.TABLE_READERS`."""
ALLOWED_EXTS = VECTOR_EXTS | RASTER_EXTS | TABLE_EXTS

XLSX_REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
"""Members every Office Open XML workbook has (ECMA-376 Part 2, Open Packaging Conventions)."""


class UploadRejected(ValueError):
    """A file refused for safety or format reasons; carries a Chinese and an English message."""

    def __init__(self, code: str, zh: str, en: str, **details: object) -> None:
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en, self.details = code, zh, en, details


def max_upload_bytes() -> int:
    """Upload size limit: ``CYC_GEO_MAX_UPLOAD_MB`` (default :data:`DEFAULT_MAX_UPLOAD_MB`) megabytes."""
    try:
        mb = float(os.environ.get("CYC_GEO_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    except ValueError:
        mb = DEFAULT_MAX_UPLOAD_MB
    return int(mb * 1024 * 1024)


def uploads_dir() -> Path:
    return paths.data_dir() / "uploads"


def unzipped_cap(editor: bool = True, folder: Path | None = None) -> int:
    """Bytes one upload may expand to: for an editor min(:data:`UNZIPPED_FACTOR` × upload limit,
    :data:`FREE_DISK_SHARE` of the free disk), for a visitor min(upload limit,
    :data:`ANONYMOUS_FREE_DISK_SHARE` of the free disk). Free space is measured where uploads are
    unpacked (``folder``, default :func:`uploads_dir` or its nearest existing parent)."""
    where = Path(folder or uploads_dir())
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    if editor:
        return int(min(max_upload_bytes() * UNZIPPED_FACTOR, free * FREE_DISK_SHARE))
    return int(min(max_upload_bytes(), free * ANONYMOUS_FREE_DISK_SHARE))


_STAGED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]+$")


def _newest_mtime(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


def clean_stale_uploads(max_age_s: float = STALE_UPLOAD_S, now: float | None = None) -> list[Path]:
    """Remove staging folders (``x-*``) and staged uploads (``<uuid>.<ext>``) in :func:`uploads_dir`
    whose newest file is older than ``max_age_s``: what a killed import leaves behind. Kept rasters
    (``pv/``) and anything else are never touched. Returns what was removed."""
    folder = uploads_dir()
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for entry in folder.iterdir():
        is_scratch = entry.is_dir() and not entry.is_symlink() and entry.name.startswith("x-")
        is_staged = entry.is_file() and bool(_STAGED_NAME.match(entry.name))
        if not (is_scratch or is_staged):
            continue
        try:
            if now - _newest_mtime(entry) < max_age_s:
                continue
            if is_scratch:
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry)
    return removed


def discard_staged(path: Path | str | None) -> None:
    """Delete a staged upload (after its import, accepted or refused: the import keeps its own copy)."""
    if not path:
        return
    p = Path(path)
    if p.parent == uploads_dir() and _STAGED_NAME.match(p.name):
        p.unlink(missing_ok=True)


def check_size(size: int, limit: int | None = None) -> None:
    """Refuse ``size`` bytes over ``limit`` (default :func:`max_upload_bytes`)."""
    limit = max_upload_bytes() if limit is None else limit
    if size > limit:
        raise UploadRejected(
            "too_large",
            f"文件过大：{size / 1048576:.1f} MB，上限 {limit / 1048576:.0f} MB",
            f"File too large: {size / 1048576:.1f} MB, limit {limit / 1048576:.0f} MB",
            size=size, limit=limit,
        )


def extension_of(name: str) -> str:
    """Lower-case extension of a user-given file name (``.geoparquet`` etc.); only the base name counts."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    return Path(base).suffix.lower()


def check_extension(name: str, allowed: Iterable[str] = ALLOWED_EXTS) -> str:
    ext = extension_of(name)
    if ext not in set(allowed):
        raise UploadRejected(
            "bad_extension",
            f"不支持的文件类型 “{ext or '无扩展名'}”；支持：{', '.join(sorted(allowed))}",
            f"Unsupported file type '{ext or 'no extension'}'; supported: {', '.join(sorted(allowed))}",
            ext=ext,
        )
    return ext


def stage_upload(stream: BinaryIO | bytes, original_name: str, size: int | None = None,
                 allowed: Iterable[str] = ALLOWED_EXTS, limits: dict[str, int] | None = None) -> tuple[Path, str]:
    """Copy an upload to ``<data>/uploads/<uuid><ext>``; returns (path, sha256). ``allowed``: the extensions
    the caller takes (default: every importable one); ``limits``: smaller size limits (bytes) by extension
    (e.g. ``{".txt": MAX_JZD_BYTES}``), the others get :func:`max_upload_bytes`.

    The size limit is enforced while copying (also when ``size`` is unknown), so an
    oversized upload never fills the disk; a rejected upload leaves no file behind.
    """
    ext = check_extension(original_name, allowed)
    limit = min(max_upload_bytes(), (limits or {}).get(ext, max_upload_bytes()))
    if size is not None:
        check_size(size, limit)
    clean_stale_uploads()
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{uuid.uuid4().hex}{ext}"
    digest = hashlib.sha256()
    written = 0
    if isinstance(stream, (bytes, bytearray)):
        chunks: Iterable[bytes] = [bytes(stream)]
    else:
        chunks = iter(lambda: stream.read(1 << 20), b"")
    try:
        with open(dest, "wb") as out:
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    check_size(written, limit)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return dest, digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sniff(path: Path) -> str | None:
    """Format from the first bytes: zip, gpkg, tiff, parquet, shp, json, xml or None."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head[:4] == b"\x00\x00\x27\x0a":
        return "shp"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "json"
    if text[:1] == b"<":
        return "xml"
    return None


EXPECTED_SNIFF = {
    ".zip": "zip", ".kmz": "zip", ".xlsx": "zip", ".gpkg": "gpkg", ".tif": "tiff", ".tiff": "tiff",
    ".parquet": "parquet", ".geoparquet": "parquet", ".shp": "shp",
    ".geojson": "json", ".json": "json", ".kml": "xml",
}


def check_content(path: Path, ext: str) -> None:
    """Refuse a file whose first bytes do not match its extension (wrong extension or corrupt)."""
    if path.stat().st_size == 0:
        raise UploadRejected("empty_file", "文件为空（0 字节）", "The file is empty (0 bytes)")
    found = sniff(path)
    expected = EXPECTED_SNIFF.get(ext)
    if expected is not None and found != expected:
        hint_zh = f"（内容看起来是 {found}）" if found else ""
        hint_en = f" (the content looks like {found})" if found else ""
        raise UploadRejected(
            "content_mismatch",
            f"文件内容与扩展名 {ext} 不符{hint_zh}：文件可能已损坏或扩展名错误",
            f"File content does not match its extension {ext}{hint_en}: the file is corrupt or misnamed",
            ext=ext, sniffed=found,
        )
    if ext == ".xlsx":
        check_xlsx(path)
    elif ext == ".csv":
        check_text(path)


def check_text(path: Path, sample_bytes: int = 1 << 16) -> None:
    """Refuse a ``.csv`` that is binary: a NUL byte in its first 64 KB (UTF-16 text with a BOM is fine)
    or the magic bytes of another format (zip, SQLite, TIFF, Parquet)."""
    with open(path, "rb") as fh:
        head = fh.read(sample_bytes)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    found = sniff(path)
    if found in ("zip", "gpkg", "tiff", "parquet", "shp") or b"\x00" in head:
        hint_zh = f"（内容看起来是 {found}）" if found in ("zip", "gpkg", "tiff", "parquet", "shp") else ""
        hint_en = f" (the content looks like {found})" if hint_zh else ""
        raise UploadRejected(
            "content_mismatch",
            f"文件内容不是文本表格{hint_zh}：CSV 文件可能已损坏或扩展名错误（Excel 文件请保存为 .xlsx）",
            f"The file is not a text table{hint_en}: the CSV is corrupt or misnamed (save Excel files as .xlsx)",
            ext=".csv", sniffed=found,
        )


def _capped_chunks(src: Any, info: zipfile.ZipInfo, budget: list[int], zh: str, en: str) -> Iterator[bytes]:
    """Chunks (1 MiB) of one zip member, refusing (``zip_bomb``) once the member exceeds its declared
    size or the whole archive exceeds ``budget[0]`` bytes (shared across members: headers can lie)."""
    member = 0
    for chunk in iter(lambda: src.read(1 << 20), b""):
        budget[0] -= len(chunk)
        member += len(chunk)
        if budget[0] < 0 or member > info.file_size:
            raise UploadRejected("zip_bomb", zh, en)
        yield chunk


def check_xlsx(path: Path) -> None:
    """Validate an ``.xlsx`` before openpyxl opens it: the zip checks of :func:`check_zip` (traversal,
    links, member count, ratio and total-size caps), the workbook members, and no XML document type
    declarations (real workbooks have none; a ``<!DOCTYPE``/``<!ENTITY`` is how XML entity-expansion
    bombs start - OWASP XML External Entity Prevention Cheat Sheet). The XML members are streamed
    with the same byte cap as :func:`safe_extract`."""
    members = check_zip(path)
    names = {m.filename for m in members}
    missing = [m for m in XLSX_REQUIRED_MEMBERS if m not in names]
    if missing:
        raise UploadRejected("content_mismatch", "文件不是 Excel 工作簿（.xlsx）：缺少 " + "、".join(missing),
                             "The file is not an Excel workbook (.xlsx): missing " + ", ".join(missing), missing=missing)
    budget = [unzipped_cap(folder=path.parent)]
    try:
        with zipfile.ZipFile(path) as zf:
            for info in members:
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                tail = b""
                with zf.open(info) as src:
                    for chunk in _capped_chunks(src, info, budget, "Excel 文件解压后超出声明大小或上限",
                                                "The workbook expands beyond its declared size or the limit"):
                        window = tail + chunk
                        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                            raise UploadRejected("content_mismatch",
                                                 f"Excel 文件含有 XML 文档类型声明（{info.filename}），已拒绝",
                                                 f"The workbook contains an XML document type declaration ({info.filename}); refused",
                                                 member=info.filename)
                        tail = chunk[-16:]
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise UploadRejected("corrupt_zip", "Excel 文件已损坏或不完整", "The Excel file is corrupt or truncated", error=str(exc)) from exc


def check_zip(path: Path, editor: bool = True) -> list[zipfile.ZipInfo]:
    """Validate a zip archive without extracting it; returns its file members.

    The members may total at most :func:`unzipped_cap` (``editor`` False: a visitor's cap)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRejected("corrupt_zip", "压缩包已损坏或不完整", "The zip archive is corrupt or truncated", error=str(exc)) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise UploadRejected("zip_too_many", f"压缩包文件数过多（{len(infos)}）", f"Too many files in the zip ({len(infos)})")
        total = 0
        cap = unzipped_cap(editor, folder=path.parent)
        files = []
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            mode = info.external_attr >> 16
            if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
                raise UploadRejected(
                    "zip_traversal",
                    f"压缩包含有越出目录的路径：{info.filename}",
                    f"The zip contains a path that escapes the folder: {info.filename}",
                    member=info.filename,
                )
            if stat.S_ISLNK(mode):
                raise UploadRejected("zip_link", f"压缩包含有链接文件：{info.filename}", f"The zip contains a link: {info.filename}")
            if info.is_dir():
                continue
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_ZIP_RATIO and info.file_size > 1 << 20:
                raise UploadRejected(
                    "zip_bomb",
                    f"压缩包疑似“压缩炸弹”：{info.filename} 压缩比 {ratio:.0f}:1",
                    f"The zip looks like a zip bomb: {info.filename} has a compression ratio of {ratio:.0f}:1",
                    ratio=ratio,
                )
            if total > cap:
                raise UploadRejected(
                    "zip_bomb",
                    f"压缩包解压后过大（超过 {cap / 1048576:.0f} MB：上传上限的 {UNZIPPED_FACTOR} 倍与剩余磁盘空间的 "
                    f"{FREE_DISK_SHARE:.0%} 中较小者）",
                    f"The zip expands to more than {cap / 1048576:.0f} MB (the smaller of {UNZIPPED_FACTOR} × the "
                    f"upload limit and {FREE_DISK_SHARE:.0%} of the free disk)",
                    total=total, cap=cap,
                )
            files.append(info)
        return files


def safe_extract(path: Path, dest: Path, editor: bool = True) -> Path:
    """Extract a checked zip into ``dest``, streaming with a hard byte cap (sizes in headers can lie):
    :func:`unzipped_cap` of the disk ``dest`` is on."""
    members = check_zip(path, editor)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    budget = [min(unzipped_cap(editor, folder=dest), sum(m.file_size for m in members) + (1 << 20))]
    try:
        with zipfile.ZipFile(path) as zf:
            for info in members:
                target = (root / info.filename.replace("\\", "/")).resolve()
                if root not in target.parents:
                    raise UploadRejected("zip_traversal", f"压缩包路径越界：{info.filename}",
                                         f"The zip contains a path that escapes the folder: {info.filename}")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    for chunk in _capped_chunks(src, info, budget, "压缩包解压后超出声明大小或上限",
                                                "The zip expands beyond its declared size or the limit"):
                        out.write(chunk)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise UploadRejected("corrupt_zip", "压缩包已损坏或不完整", "The zip archive is corrupt or truncated", error=str(exc)) from exc
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest

