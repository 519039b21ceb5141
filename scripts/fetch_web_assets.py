#!/usr/bin/env python3
"""Fetch the browser libraries the map needs into ``static/vendor/`` (git-ignored).

folium loads Leaflet and its plugins from public CDNs, which are unreachable at
run time here; cyc-geo serves them itself from Streamlit's static folder. The
packages come from the npm registry through the ordinary ``npm pack`` client, at
pinned versions, and only the distribution files the map uses are kept.

Usage: ``python scripts/fetch_web_assets.py [--force]``. Idempotent: does nothing
when every file is present.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"

# package@version -> files to keep (paths inside the package tarball, under "package/")
PACKAGES: dict[str, list[str]] = {
    "leaflet@1.9.4": [
        "dist/leaflet.js",
        "dist/leaflet.css",
        "dist/images/layers.png",
        "dist/images/layers-2x.png",
        "dist/images/marker-icon.png",
        "dist/images/marker-icon-2x.png",
        "dist/images/marker-shadow.png",
    ],
    "leaflet.fullscreen@3.0.2": ["Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"],
    "leaflet-measure@3.1.0": [
        "dist/leaflet-measure.js",
        "dist/leaflet-measure.css",
        "dist/assets/rulers.png",
        "dist/assets/rulers_@2X.png",
        "dist/assets/cancel.png",
        "dist/assets/cancel_@2X.png",
        "dist/assets/check.png",
        "dist/assets/check_@2X.png",
        "dist/assets/focus.png",
        "dist/assets/focus_@2X.png",
        "dist/assets/trash.png",
        "dist/assets/trash_@2X.png",
        "dist/assets/start.png",
        "dist/assets/start_@2X.png",
    ],
    "leaflet-draw@1.0.4": [
        "dist/leaflet.draw.js",
        "dist/leaflet.draw.css",
        "dist/images/spritesheet.png",
        "dist/images/spritesheet-2x.png",
        "dist/images/spritesheet.svg",
        "dist/images/layers.png",
        "dist/images/layers-2x.png",
    ],
    "leaflet.vectorgrid@1.3.0": ["dist/Leaflet.VectorGrid.bundled.min.js"],
    # the map's compare control (swipe divider); the package ships its CommonJS source only
    "leaflet-side-by-side@2.2.0": ["index.js", "layout.css", "range.css", "range-icon.png"],
}

# package@version -> (browser file written next to the kept files, the CommonJS module it wraps)
BROWSER_BUILDS: dict[str, tuple[str, str]] = {
    "leaflet-side-by-side@2.2.0": ("leaflet-side-by-side.js", "index.js"),
}
WRAPPER = (
    "/* {spec}: {module} wrapped for the browser by scripts/fetch_web_assets.py (require('leaflet') is window.L;"
    " its CSS files are linked by the page) */\n"
    "(function () {{ var module = {{ exports: {{}} }}; var exports = module.exports;\n"
    "var require = function (name) {{ return name === 'leaflet' ? window.L : {{}}; }};\n{code}\n}})();\n"
)


def package_dir(spec: str) -> Path:
    """static/vendor/<name> for a ``name@version`` spec."""
    return VENDOR / spec.rsplit("@", 1)[0]


def missing(spec: str) -> list[str]:
    built = [BROWSER_BUILDS[spec][0]] if spec in BROWSER_BUILDS else []
    return [f for f in [*PACKAGES[spec], *built] if not (package_dir(spec) / f).exists()]


def browser_build(spec: str) -> None:
    """Write the browser file of a package that ships only a CommonJS module (:data:`BROWSER_BUILDS`)."""
    out, module = BROWSER_BUILDS[spec]
    code = (package_dir(spec) / module).read_text(encoding="utf-8")
    (package_dir(spec) / out).write_text(WRAPPER.format(spec=spec, module=module, code=code), encoding="utf-8")


def fetch(spec: str, workdir: Path) -> None:
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    dest = package_dir(spec)
    with tarfile.open(tarball) as tar:
        for rel in PACKAGES[spec]:
            member = tar.getmember(f"package/{rel}")
            fh = tar.extractfile(member)
            if fh is None:
                raise RuntimeError(f"{spec}: {rel} is not a file")
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fh.read())
    if spec in BROWSER_BUILDS:
        browser_build(spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-fetch even if present")
    args = parser.parse_args()
    todo = [s for s in PACKAGES if args.force or missing(s)]
    if not todo:
        return 0
    if shutil.which("npm") is None:
        print("npm is needed once to fetch the map's browser libraries (apt-get install npm)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for spec in todo:
            print(f"fetching {spec}", flush=True)
            fetch(spec, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
