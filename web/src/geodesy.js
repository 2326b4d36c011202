// Lengths and areas on the WGS84 sphere (mean radius), as turf measures them: well within a
// percent at the sizes of grids and streets.

const R = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance between two `[lon, lat]` points, in metres. */
export function distanceM([x1, y1], [x2, y2]) {
  const dLat = (y2 - y1) * RAD;
  const dLon = (x2 - x1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(y1 * RAD) * Math.cos(y2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Length of a line of `[lon, lat]` points, in metres. */
export function lengthM(points) {
  let sum = 0;
  for (let i = 1; i < points.length; i++) sum += distanceM(points[i - 1], points[i]);
  return sum;
}

/** Area enclosed by a closed ring of `[lon, lat]` points (spherical excess), in m². */
export function ringAreaM2(coords) {
  let sum = 0;
  for (let i = 0; i < coords.length - 1; i++) {
    const [x1, y1] = coords[i];
    const [x2, y2] = coords[i + 1];
    sum += (x2 - x1) * RAD * (2 + Math.sin(y1 * RAD) + Math.sin(y2 * RAD));
  }
  return Math.abs((sum * R * R) / 2);
}

/** Area of a GeoJSON Polygon or MultiPolygon (holes subtracted), in m². */
export function areaM2(geometry) {
  const polygon = (rings) => rings.reduce((a, r, i) => a + (i === 0 ? ringAreaM2(r) : -ringAreaM2(r)), 0);
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return polygons.reduce((a, p) => a + polygon(p), 0);
}
