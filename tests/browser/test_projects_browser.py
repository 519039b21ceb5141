"""The projects page in a real browser: the Draw toolbar loads from local files and a drawn
rectangle is land-checked (anonymous user: nothing is saved)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import save_artifact, wait_for_app

LONG = 240_000


@pytest.mark.browser
def test_draw_a_site_and_see_its_land_check(app_url, page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{app_url}/projects")
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_text("重点项目表（附件2）").first.wait_for(timeout=LONG)
    page.keyboard.press("Escape")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    rect_tool = frame.locator(".leaflet-draw-draw-rectangle")
    rect_tool.wait_for(timeout=LONG)
    assert not [u for u in requests if "cdnjs" in u or "leaflet.draw" in u and "/app/static/" not in u]
    assert any("/app/static/vendor/leaflet-draw/" in u for u in requests)

    rect_tool.click()
    box = frame.locator(".leaflet-container").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 120, y0 + 90, steps=6)
    page.mouse.up()
    page.get_by_text("绘制地块预检").first.wait_for(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    body = page.inner_text("body")
    assert "面积 (亩)" in body
    # anonymous: the check is shown but there is no save button
    assert page.get_by_role("button", name="保存为项目 1 的地块").count() == 0
    save_artifact(page, "projects_drawn_site")


@pytest.mark.browser
def test_a_projects_report_is_built_when_its_download_is_clicked(app_url, page):
    """The report buttons carry deferred data: the workbook is made on the click, and it is a real workbook
    with the project's name (the page no longer builds every report on every rerun)."""
    import io

    import openpyxl

    page.goto(f"{app_url}/projects")
    wait_for_app(page, timeout_ms=LONG)
    button = page.get_by_role("button", name="下载核查报告 (Excel)")
    button.wait_for(timeout=LONG)
    with page.expect_download(timeout=LONG) as dl:
        button.click()
    assert dl.value.suggested_filename == "project_1_land_check.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    text = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "项目" in text and "亩" in text


def _jzd_site_on_farmland(tmp_path):
    """A 界址点 file (zone prefix, GBK) of a 300 m x 300 m square on the largest demo basic-farmland parcel."""
    import geopandas as gpd
    from shapely.geometry import box

    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.geo.crs import AREA_CRS
    from cyc_geo.planning.jzd import jzd_bytes

    farm = load_layer("farmland").to_crs(AREA_CRS)
    p = farm.geometry.iloc[int(farm.geometry.area.argmax())].representative_point()
    site = gpd.GeoDataFrame(geometry=[box(p.x - 150, p.y - 150, p.x + 150, p.y + 150)], crs=AREA_CRS)
    path = tmp_path / "红线.txt"
    path.write_bytes(jzd_bytes(site, name="测试红线"))
    return path


@pytest.mark.browser
def test_upload_a_jzd_file_see_its_conflicts_and_download_the_pdf(app_url, page, tmp_path):
    from cyc_geo.exports.pdf import pdf_text

    path = _jzd_site_on_farmland(tmp_path)
    page.goto(f"{app_url}/projects")
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_text("上传地块文件").first.wait_for(timeout=LONG)
    page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(path))
    page.get_by_text("合规性核查：红线.txt").first.wait_for(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    body = page.inner_text("body")
    assert "永久基本农田" in body and "冲突" in body
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    legend = frame.locator(".cyc-legend")
    legend.get_by_text("冲突区域").first.wait_for(timeout=LONG)
    text = legend.inner_text()
    assert "核查地块" in text and "永久基本农田" in text
    # the map (a canvas: prefer_canvas) is centred on the site, which lies wholly on basic farmland:
    # its centre is painted in the conflict red (#e31a1c at 55 % over the farmland yellow)
    import io

    import matplotlib.image as mpimg

    def centre_colour():
        shot = mpimg.imread(io.BytesIO(frame.locator(".leaflet-container").screenshot()), format="png")
        h, w = shot.shape[:2]
        return shot[h // 2 - 3:h // 2 + 4, w // 2 - 3:w // 2 + 4, :3].reshape(-1, 3).mean(axis=0) * 255

    for _ in range(40):  # a busy machine paints the canvas late: look again for up to ~20 s
        page.wait_for_timeout(500)
        r, g, b = centre_colour()
        if r > 180 and r - g > 60 and r - b > 80:
            break
    save_artifact(page, "projects_jzd_upload")  # before the check, so a failure leaves the picture
    assert r > 180 and r - g > 60 and r - b > 80, (r, g, b)
    with page.expect_download(timeout=LONG) as dl:
        page.get_by_role("button", name="合规报告 (PDF)").click()
    text = pdf_text(Path(dl.value.path()).read_bytes())
    assert "用地合规性核查报告" in text and "红线.txt" in text
    assert "永久基本农田" in text and "第三十五条" in text and "演示数据" in text
