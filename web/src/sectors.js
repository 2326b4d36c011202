// Camera field-of-view sectors for drawing: a fan of range_m around the azimuth (clockwise from
// north), hfov_deg wide; a PTZ camera covers a full circle. Drawn in a local tangent plane, which
// is exact to well under a pixel at the ranges cameras have (≤ a few hundred metres).

const METRES_PER_DEGREE_LAT = 111_320;
const STEP_DEG = 5;

/** The sector of `camera` (API properties plus `[lon, lat]`) as a GeoJSON Polygon Feature. */
export function sectorFeature(camera, [lon, lat]) {
  const mPerDegLon = METRES_PER_DEGREE_LAT * Math.cos((lat * Math.PI) / 180);
  const at = (bearingDeg, metres) => {
    const b = (bearingDeg * Math.PI) / 180;
    return [lon + (Math.sin(b) * metres) / mPerDegLon, lat + (Math.cos(b) * metres) / METRES_PER_DEGREE_LAT];
  };
  const range = Number(camera.range_m);
  const full = camera.kind === 'ptz' || Number(camera.hfov_deg) >= 360;
  const ring = [];
  if (full) {
    for (let b = 0; b < 360; b += STEP_DEG) ring.push(at(b, range));
  } else {
    const half = Number(camera.hfov_deg) / 2;
    const from = Number(camera.azimuth_deg) - half;
    const steps = Math.max(2, Math.ceil((2 * half) / STEP_DEG));
    ring.push([lon, lat]);
    for (let i = 0; i <= steps; i++) ring.push(at(from + (2 * half * i) / steps, range));
  }
  ring.push(ring[0]);
  return {
    type: 'Feature',
    properties: { code: camera.code, status: camera.status, kind: camera.kind, full },
    geometry: { type: 'Polygon', coordinates: [ring] },
  };
}
