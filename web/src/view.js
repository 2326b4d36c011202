// Moving the map to show things: the box of any GeoJSON geometries, and fitting them into the
// part of the map a panel leaves free, so that no panel covers what it talks about.

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
