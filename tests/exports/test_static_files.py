"""Content-named static download files (cyc_geo.exports.static_files, issue 29 item 3)."""

from __future__ import annotations

import hashlib
import os

from cyc_geo.exports import static_files


def test_publish_names_the_file_by_its_content_and_keeps_a_few_versions(tmp_path):
    urls = []
    for i in range(static_files.KEEP_PER_NAME + 2):
        data = f"roofs v{i}".encode()
        url = static_files.publish(data, "pv roofs/../x", "gpkg", root=tmp_path)
        path = static_files.path_of(url, root=tmp_path)
        assert path.read_bytes() == data
        assert hashlib.sha256(data).hexdigest()[:16] in path.name and path.parent == tmp_path
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
        urls.append(url)
    assert urls[0].startswith("/app/static/downloads/pv_roofs_.._x-")
    assert static_files.publish(b"roofs v5", "pv roofs/../x", "gpkg", root=tmp_path) == urls[-1]  # same bytes, same URL
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == static_files.KEEP_PER_NAME
    assert static_files.path_of(urls[0], root=tmp_path).name not in left  # the oldest versions are gone
    other = static_files.publish(b"x", "other", "gpkg", root=tmp_path)  # another name prunes nothing of these
    assert len(list(tmp_path.iterdir())) == static_files.KEEP_PER_NAME + 1 and other.endswith(".gpkg")
