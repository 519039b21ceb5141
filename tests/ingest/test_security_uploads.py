"""What a visitor or a failed import may leave on disk: no anonymous writes, no stale staging,
unpacking capped by the free disk."""

from __future__ import annotations

import os
import time
import zipfile
from collections import namedtuple
from pathlib import Path

import pytest
from import_helpers import write_raster
from streamlit.testing.v1 import AppTest

from cyc_geo.ingest import upload_safety
from cyc_geo.ingest.importer import ImportFailure, import_file

REPO = Path(__file__).resolve().parents[2]
Usage = namedtuple("Usage", "total used free")
MiB = 1 << 20


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _keep_raster_script() -> None:
    import streamlit as st

    from views.pv import keep_raster

    try:
        st.session_state["kept"] = str(keep_raster("pvout.tif", st.session_state["tif"]))
    except PermissionError as exc:
        st.session_state["kept"] = f"refused: {exc}"


def test_pv_raster_upload_is_refused_from_disk_unless_signed_in(data_dir: Path, tmp_path: Path) -> None:
    tif = write_raster(tmp_path / "pvout.tif", crs="EPSG:4326", res=0.001).read_bytes()
    at = AppTest.from_function(_keep_raster_script, default_timeout=60)
    at.session_state["tif"] = tif
    at.run()
    assert not at.exception
    assert at.session_state["kept"].startswith("refused: ") and "Sign in" in at.session_state["kept"]
    assert _files(data_dir / "uploads") == []
    at.session_state["cyc_auth"] = {"user": "alice", "expires": time.time() + 600}
    at.run()
    kept = Path(at.session_state["kept"])
    assert kept.parent == data_dir / "uploads" / "pv" and kept.read_bytes() == tif
    assert _files(data_dir / "uploads") == [f"pv/{kept.name}"]  # the staged copy is gone


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (t, t))


def test_stale_staging_is_removed_by_age_on_the_next_import(data_dir: Path, tmp_path: Path) -> None:
    up = data_dir / "uploads"
    killed = up / "x-killed"
    (killed / "unzipped").mkdir(parents=True)
    (killed / "unzipped" / "big.dbf").write_bytes(b"\0" * 1000)
    running = up / "x-running"
    running.mkdir()
    (running / "part.dbf").write_bytes(b"1")
    staged_old = up / ("a" * 32 + ".zip")
    staged_old.write_bytes(b"PK")
    other = up / "notes.txt"
    other.write_text("keep")
    kept_raster = up / "pv" / "0123456789abcdef0123.tif"
    kept_raster.parent.mkdir()
    kept_raster.write_bytes(b"II*\0")
    for p in (killed, staged_old, other, kept_raster):
        _age(p, upload_safety.STALE_UPLOAD_S + 60)
    _age(running, upload_safety.STALE_UPLOAD_S - 600)  # an import started 5 h 50 min ago is left alone
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(ImportFailure):
        import_file(bad, "townships", "alice")
    assert not killed.exists() and not staged_old.exists()
    assert running.exists() and other.exists() and kept_raster.exists()
    assert sorted(p.name for p in up.iterdir()) == ["notes.txt", "pv", "x-running"]  # the import's own x- is gone too


def _followup_script() -> None:
    """Only the refusal's follow-up of the import page (the whole page would build every demo layer)."""
    import importlib.util

    import streamlit as st

    spec = importlib.util.spec_from_file_location("data_import_page", st.session_state["page"])
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    st.session_state["extra"] = page._failure_followup(st.session_state["imp_failure"])


def test_refused_import_leaves_no_staged_upload(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    for failure, kept in (({"error": "mapping_needed", "columns": ["a"], "required": ["code"], "proposed": {}}, True),
                          (None, False)):
        staged_path, sha = upload_safety.stage_upload(bad.read_bytes(), bad.name)
        if failure is None:  # a real refusal with nothing to choose: the file is corrupt
            with pytest.raises(ImportFailure) as err:
                import_file(staged_path, "townships", "carol", file_name=bad.name)
            failure = err.value.as_dict()
            assert failure["error"] == "corrupt"
        at = AppTest.from_function(_followup_script, default_timeout=60)
        at.session_state["page"] = str(REPO / "views/data_import.py")
        at.session_state["imp_staged"] = {"file_id": "f1", "path": str(staged_path), "name": bad.name, "sha256": sha}
        at.session_state["imp_failure"] = {**failure, "options": {}}
        at.run()
        assert not at.exception
        # a refusal the editor can resolve keeps the upload for the retry; any other deletes it
        assert staged_path.exists() is kept and ("imp_staged" in at.session_state) is kept
        upload_safety.discard_staged(staged_path)
    assert _files(data_dir / "uploads") == []


def _zip_of(path: Path, members: int, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(members):
            zf.writestr(f"m{i}.bin", os.urandom(size))
    return path


def test_unpacking_is_capped_by_the_free_disk(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free = [4 << 30]
    monkeypatch.setattr(upload_safety.shutil, "disk_usage", lambda p: Usage(free[0] * 2, free[0], free[0]))
    limit = 200 * MiB
    assert upload_safety.unzipped_cap() == min(10 * limit, (4 << 30) // 4) == 1 << 30
    assert upload_safety.unzipped_cap(editor=False) == int(0.02 * (4 << 30)) == 85_899_345
    free[0] = 10 << 30
    assert upload_safety.unzipped_cap() == 10 * limit == 2_097_152_000  # the 2 GB cap when the disk is roomy
    archive = _zip_of(tmp_path / "twelve.zip", 12, MiB)
    assert len(upload_safety.check_zip(archive)) == 12
    free[0] = 40 * MiB  # 25 % = 10 MiB: 12 MiB of members is refused before anything is written
    with pytest.raises(upload_safety.UploadRejected) as err:
        upload_safety.safe_extract(archive, tmp_path / "out")
    assert err.value.code == "zip_bomb" and err.value.details["cap"] == 10 * MiB
    assert "25%" in err.value.en and not (tmp_path / "out").exists()
