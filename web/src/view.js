// Moving the map to show things: the box of any GeoJSON geometries, a point inside one (for a
// pin), and fitting them into the part of the map a panel leaves free, so that no panel covers
// what it talks about.

/** The `[[west, south], [east, north]]` box of GeoJSON geometries of any type, or null. */
export function boundsOf(geometries) {
  let box = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      box = box
        ? [Math.min(box[0], c[0]), Math.min(box[1], c[1]), Math.max(box[2], c[0]), Math.max(box[3], c[1])]
        : [c[0], c[1], c[0], c[1]];
    } else c.forEach(visit);
  };
  for (const g of geometries) if (g?.coordinates) visit(g.coordinates);
  return box && [[box[0], box[1]], [box[2], box[3]]];
}

/**
 * Fits `geometries` into the map, clear of `panel` on its `side` ('left' or 'right') when the
 * panel is open and takes less than half the map (a bottom sheet on a phone does not count).
 */
export function fitBeside(map, geometries, { panel, side, maxZoom = 19, duration } = {}) {
  const bounds = boundsOf(geometries);
  if (!bounds) return;
  const padding = { top: 60, bottom: 40, left: 40, right: 60 };
  const mapBox = map.getContainer().getBoundingClientRect();
  const box = panel?.getBoundingClientRect();
  if (box && box.width > 0 && box.width < mapBox.width / 2) {
    if (side === 'left') padding.left = box.right - mapBox.left + 20;
    else padding.right = mapBox.right - box.left + 20;
  }
  map.fitBounds(bounds, { padding, maxZoom, ...(duration === undefined ? {} : { duration }) });
}

/** A point inside `geometry` (`[lon, lat]`) for a pin and a look-up: a point itself, a line's
 * middle vertex, or for an area the middle of the widest stretch across its largest polygon
 * along that polygon's middle latitude (inside even when the area is not convex). */
export function interiorPoint(geometry) {
  if (!geometry?.coordinates) return null;
  const c = geometry.coordinates;
  switch (geometry.type) {
    case 'Point': return c;
    case 'MultiPoint': return c[0] ?? null;
    case 'LineString': return c[Math.floor(c.length / 2)] ?? null;
    case 'MultiLineString': return c[0]?.[Math.floor(c[0].length / 2)] ?? null;
    case 'Polygon': return polygonInside(c);
    case 'MultiPolygon': {
      const planar = (rings) => Math.abs(rings[0].reduce((a, [x, y], i, r) => {
        const [u, v] = r[(i + 1) % r.length];
        return a + x * v - u * y;
      }, 0));
      const largest = c.reduce((best, p) => (best && planar(best) >= planar(p) ? best : p), null);
      return largest ? polygonInside(largest) : null;
    }
    default: return null;
  }
}

function polygonInside(rings) {
  const outer = rings[0];
  if (!outer?.length) return null;
  const ys = outer.map((p) => p[1]);
  const [south, north] = [Math.min(...ys), Math.max(...ys)];
  // Just off the middle, so that the line meets no vertex exactly.
  const y = south + (north - south) * 0.500_013_7;
  const xs = [];
  for (const ring of rings) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [[x1, y1], [x2, y2]] = [ring[i], ring[i + 1]];
      if ((y1 > y) !== (y2 > y)) xs.push(x1 + ((y - y1) / (y2 - y1)) * (x2 - x1));
    }
  }
  xs.sort((a, b) => a - b);
  let best = null;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    if (!best || xs[i + 1] - xs[i] > best[1] - best[0]) best = [xs[i], xs[i + 1]];
  }
  return best ? [(best[0] + best[1]) / 2, y] : outer[0];
}

/** The map's view as a `bbox` query value: `west,south,east,north` in degrees. */
export function viewBbox(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(',');
}
