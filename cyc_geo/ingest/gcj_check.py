"""Is an imported polygon layer a GCJ-02 (AMap / DataV) outline read as WGS84?

AMap and DataV (``geo.datav.aliyun.com``) hand out outlines in GCJ-02 degrees while their files claim
WGS84 (or say nothing). Read as WGS84 such a county outline lands about 500 m off (east of the true line here;
docs/sources.md, "GCJ-02") and matches the county with an IoU of about 0.95, close
enough to pass the county check without a word. :func:`gcj02_warning` compares the layer's union with the
county outline as read and after the GCJ-02 → WGS84 shift (:func:`cyc_geo.geo.gcj02.gdf_gcj02_to_wgs84`, the
converter the project uses for the cnmaps outline); when the shift matches far better it returns a warning
suggesting ``--crs GCJ02``. The import goes on: the file may be right and the county outline the one off.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

from cyc_geo.geo.crs import AREA_CRS

MIN_IOU_AS_READ = 0.5
"""Below this IoU with the county the layer is not an outline of the county (a few parcels, a neighbour):
not compared (project choice)."""
MIN_IOU_SHIFTED = 0.97
"""After the shift the layer must match the county this well (a converted DataV outline matches the
cnmaps/AMap one to well over 0.99; project choice, docs/sources.md, "GCJ-02")."""
MIN_GAIN = 0.02
"""…and better than as read by this much IoU: a 500 m offset of a ~1,000 km² county costs about 0.05
(issue 27 measured 0.954), a file already in WGS84 loses by the shift (project choice)."""
MAX_FEATURES = 5_000
"""Layers with more features are not compared (their union is costly and they are not outlines; a county's
townships are 18 polygons)."""


def _iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    union = shapely.union(a, b).area
    return float(shapely.intersection(a, b).area / union) if union > 0 else 0.0


def gcj02_warning(gdf_wgs84: gpd.GeoDataFrame, county_area_crs: shapely.Geometry) -> dict[str, Any] | None:
    """A warning (``code`` ``gcj02_suspected``, zh / en, the IoUs as read and shifted, the offset in m) when the
    polygons of ``gdf_wgs84`` (read as WGS84) match ``county_area_crs`` (the county, EPSG:4547) far better after a
    GCJ-02 → WGS84 shift, else None."""
    from cyc_geo.geo.gcj02 import gdf_gcj02_to_wgs84

    if len(gdf_wgs84) == 0 or len(gdf_wgs84) > MAX_FEATURES:
        return None
    as_read = shapely.make_valid(shapely.union_all(gdf_wgs84.to_crs(AREA_CRS).geometry.to_numpy()))
    iou_read = _iou(as_read, county_area_crs)
    if iou_read < MIN_IOU_AS_READ:
        return None
    shifted = shapely.make_valid(shapely.union_all(gdf_gcj02_to_wgs84(gdf_wgs84).to_crs(AREA_CRS).geometry.to_numpy()))
    iou_shift = _iou(shifted, county_area_crs)
    if iou_shift < MIN_IOU_SHIFTED or iou_shift - iou_read < MIN_GAIN:
        return None
    offset = float(shapely.distance(shapely.centroid(as_read), shapely.centroid(shifted)))
    return {
        "code": "gcj02_suspected",
        "suggest_crs": "GCJ02",
        "iou_as_read": round(iou_read, 4),
        "iou_gcj02_shifted": round(iou_shift, 4),
        "offset_m": round(offset, 1),
        "message_zh": (f"该文件的边界与县界相差约 {offset:,.0f} 米（重合度 IoU {iou_read:.3f}），按 GCJ-02（高德/DataV 火星坐标）"
                       f"纠偏到 WGS84 后重合度为 {iou_shift:.3f}：文件很可能是 GCJ-02 坐标。请用坐标系 GCJ02 重新导入"
                       "（命令行：--crs GCJ02）"),
        "message_en": (f"The file's outline lies about {offset:,.0f} m off the county outline (IoU {iou_read:.3f}); shifted "
                       f"from GCJ-02 (AMap/DataV) to WGS84 it matches with IoU {iou_shift:.3f}: the file is most likely in "
                       "GCJ-02. Import it again with the coordinate system GCJ02 (command line: --crs GCJ02)"),
    }
