// Topological editing of a set of polygons in terra-draw, as QGIS does it: a vertex shared by
// neighbouring polygons moves in all of them, and a vertex added on a shared edge is added to
// the neighbour's edge too, so that adjusting one grid never opens a gap or an overlap along
// the boundary it shares.

/** Coordinates are compared after rounding to this many decimals (about 1 mm). */
const DECIMALS = 8;
const key = (c) => `${c[0].toFixed(DECIMALS)},${c[1].toFixed(DECIMALS)}`;
/** terra-draw refuses features with more decimals than its `coordinatePrecision` (9). */
const DRAW_DECIMALS = 9;

/** A position rounded as terra-draw keeps it (0.1 mm). */
export function roundPosition(c) {
  return [Number(c[0].toFixed(DRAW_DECIMALS)), Number(c[1].toFixed(DRAW_DECIMALS))];
}

/** A Polygon geometry with every position rounded, so that shared vertices stay equal. */
export function roundPolygon(geometry) {
  return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(roundPosition)) };
}

/**
 * Keeps the shared vertices of the terra-draw features `ids` together while they are edited.
 * Returns a function that stops following.
 */
export function linkVertices(draw, ids) {
  const rings = new Map(ids.map((id) => [id, outerRing(draw, id)]));
  let propagating = false;

  const onChange = (changed, type) => {
    if (propagating || type !== 'update') return;
    for (const id of changed) {
      if (!rings.has(id)) continue;
      const before = rings.get(id);
      const after = outerRing(draw, id);
      if (!before || !after) continue;
      propagating = true;
      try {
        if (after.length === before.length) moveShared(before, after, id);
        else if (after.length === before.length + 1) insertShared(before, after, id);
      } finally {
        propagating = false;
      }
      rings.set(id, outerRing(draw, id));
    }
  };

  /** A moved vertex: the same move in every other polygon having that vertex. */
  const moveShared = (before, after, id) => {
    const moves = new Map();
    for (let i = 0; i < before.length; i++) {
      if (key(before[i]) !== key(after[i])) moves.set(key(before[i]), after[i]);
    }
    if (!moves.size) return;
    for (const [other, ring] of rings) {
      if (other === id || !ring) continue;
      let touched = false;
      const moved = ring.map((c) => {
        const to = moves.get(key(c));
        if (!to) return c;
        touched = true;
        return to;
      });
      if (touched) update(other, moved);
    }
  };

  /** A vertex added on an edge A–B: added between A and B in the polygons sharing that edge. */
  const insertShared = (before, after, id) => {
    const known = new Set(before.map(key));
    const k = after.findIndex((c) => !known.has(key(c)));
    if (k <= 0 || k >= after.length - 1) return;
    const a = key(after[k - 1]);
    const b = key(after[k + 1]);
    for (const [other, ring] of rings) {
      if (other === id || !ring) continue;
      for (let i = 0; i < ring.length - 1; i++) {
        const [p, q] = [key(ring[i]), key(ring[i + 1])];
        if ((p === a && q === b) || (p === b && q === a)) {
          update(other, [...ring.slice(0, i + 1), after[k], ...ring.slice(i + 1)]);
          break;
        }
      }
    }
  };

  const update = (id, ring) => {
    const feature = draw.getSnapshotFeature(id);
    if (!feature) return;
    draw.updateFeatureGeometry(id, { type: 'Polygon', coordinates: [ring, ...feature.geometry.coordinates.slice(1)] });
    rings.set(id, outerRing(draw, id));
  };

  draw.on('change', onChange);
  return () => draw.off('change', onChange);
}

function outerRing(draw, id) {
  return draw.getSnapshotFeature(id)?.geometry.coordinates[0] ?? null;
}
