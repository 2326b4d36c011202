// The map style: sources (vector tiles from this server), layers, and the palettes the legend is
// drawn from, so that map and legend cannot drift. Colours are Okabe-Ito and ColorBrewer, safe
// for colour-blind readers; colour is never the only cue (outline dashes, icons, labels), and no
// colour means two things: the saturated Okabe-Ito hues belong to what lies on the grids
// (cameras, blind spots, key areas, routes, overdue), the grids themselves get light ColorBrewer
// Paired tints, households a purple ramp and event heat alone the orange-red one.
//
// The offline basemap is the server's own roads and place names; an external raster basemap
// is an option (`/config.json`).
//
// Legible at the zooms planners work at (13–17): event heat is off until asked for and drawn
// under every label, camera sectors are a layer of their own (off until asked for; the
// inspector's camera always shows its sector), and each grid carries one label, from the
// tiles' `grid-labels` points.

/** Grid fill by kind (ColorBrewer Paired light tints). */
export const GRID_KIND_COLOURS = {
  residential: '#A6CEE3',
  village: '#B2DF8A',
  dedicated: '#CAB2D6',
};

/** Grid fill by households (workload), ColorBrewer Purples steps. */
export const WORKLOAD_STEPS = [
  [0, '#F2F0F7'],
  [200, '#CBC9E2'],
  [400, '#9E9AC8'],
  [600, '#756BB1'],
  [800, '#54278F'],
];

/** Camera status: colour plus outline style in the legend. */
export const CAMERA_STATUS_COLOURS = {
  online: '#0072B2',
  offline: '#999999',
  fault: '#D55E00',
};

/** Key-area outline by category (shape/dash by category, red-orange width for overdue). */
export const KEY_AREA_COLOURS = {
  urban_village: '#CC79A7',
  school_surroundings: '#56B4E9',
  urban_rural_fringe: '#E69F00',
  disorderly_spot: '#000000',
};

/** Event density ramp (OrRd; not the style-spec default rainbow). */
export const HEAT_RAMP = ['rgba(254,240,217,0)', '#FDCC8A', '#FC8D59', '#E34A33', '#B30000'];

export const ROUTE_COLOUR = '#56B4E9';
export const UNSTAFFED_COLOUR = '#D55E00';
export const OVERDUE_COLOUR = '#D55E00';
/** Okabe–Ito orange: what no online camera sees. */
export const BLIND_SPOT_COLOUR = '#E69F00';
/** Obstacles (遮挡物): neutral grey, a footprint filled and outlined, a wall as a thick line. */
export const OBSTACLE_COLOUR = '#5C5C5C';
/** Okabe–Ito reddish purple: proposed cameras and what they would see (always numbered and
 * dashed, so the colour is not the only cue). */
export const PROPOSAL_COLOUR = '#CC79A7';
/** Roads of the offline basemap: neutral, under everything that lies on the grids — main
 * roads a pale cream, the rest white, all edged in light grey. */
export const ROAD_COLOURS = { motorway: '#FBE3A6', trunk: '#FBE3A6', primary: '#FDF1C7', secondary: '#FFFFFF', tertiary: '#FFFFFF' };
export const ROAD_CASING_COLOUR = '#B9B9B0';
/** Obstacles are drawn from this zoom (building footprints are too small to see before). */
export const OBSTACLE_MIN_ZOOM = 14;

/** Map layers grouped the way the layer switcher shows them; ids are style layer ids. */
export const LAYER_GROUPS = {
  roads: ['road-casing', 'road-line', 'road-label'],
  regions: ['town-line', 'village-line', 'town-label', 'village-label'],
  grids: ['grid-fill', 'grid-line', 'grid-unstaffed', 'grid-label'],
  'key-areas': ['key-area-fill', 'key-area-line', 'key-area-label'],
  'patrol-routes': ['route-line'],
  buildings: ['building-dot'],
  events: ['event-heat', 'event-dot'],
  'blind-spots': ['blind-spot-fill', 'blind-spot-line'],
  cameras: ['camera-dot', 'camera-cluster', 'camera-cluster-count'],
  'camera-sectors': ['camera-sector-fill', 'camera-sector-line', 'camera-sector-line-down'],
  obstacles: ['obstacle-fill', 'obstacle-line'],
};

/** Layers shown when the page opens. */
export const DEFAULT_VISIBLE = ['roads', 'regions', 'grids', 'key-areas', 'patrol-routes', 'cameras', 'obstacles'];

const FONT = ['sans-serif'];
/** A camera count bubble in which at least 10% of the cameras are at fault. */
const FAULTY_CLUSTER = ['>=', ['*', 10, ['get', 'fault']], ['get', 'point_count']];

function matchColour(property, palette, fallback = '#666666') {
  return ['match', ['get', property], ...Object.entries(palette).flat(), fallback];
}

/** A road's width in pixels by its class and the zoom, times `factor` (a casing is wider).
 * The zoom interpolation stays the expression's top level, as the style spec requires. */
function roadWidth(factor = 1) {
  const byClass = (main, district, street) => ['match', ['get', 'class'],
    ['motorway', 'trunk', 'primary'], main * factor, ['secondary', 'tertiary'], district * factor, street * factor];
  return ['interpolate', ['exponential', 1.6], ['zoom'],
    10, byClass(1.5, 0.8, 0.3), 13, byClass(3, 2, 1), 16, byClass(10, 7, 4), 18, byClass(20, 14, 8)];
}

/** The grid fill colour expression for `mode` (`kind` or `workload`). */
export function gridFillColour(mode) {
  if (mode === 'workload') {
    return ['step', ['to-number', ['get', 'households'], 0], WORKLOAD_STEPS[0][1],
      ...WORKLOAD_STEPS.slice(1).flat()];
  }
  return matchColour('kind', GRID_KIND_COLOURS);
}

/** A hatch pattern for key areas, drawn on a canvas (no sprite file needed). */
export function hatchImage(colour = '#444444', size = 12) {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.strokeStyle = colour;
  ctx.globalAlpha = 0.45;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(0, size);
  ctx.lineTo(size, 0);
  ctx.moveTo(-size / 2, size / 2);
  ctx.lineTo(size / 2, -size / 2);
  ctx.moveTo(size / 2, size * 1.5);
  ctx.lineTo(size * 1.5, size / 2);
  ctx.stroke();
  return ctx.getImageData(0, 0, size, size);
}

/** Key-area label: the name, then the deadline with its year, as "限期 2026-06-30". */
export function keyAreaLabel(deadlineWord) {
  return ['format', ['get', 'name'], {}, '\n', {}, ['concat', deadlineWord, ' ', ['to-string', ['get', 'deadline']]], { 'font-scale': 0.85 }];
}

/** The style for `origin` (this server), with an optional raster basemap; `deadlineWord` labels
 * key-area deadlines in the current language. */
export function buildStyle(origin, basemapUrl, deadlineWord) {
  const vector = (layer) => ({ type: 'vector', url: `${origin}/tiles/${layer}.json` });
  const sources = {
    regions: vector('regions'),
    grids: vector('grids'),
    'key-areas': vector('key-areas'),
    'patrol-routes': vector('patrol-routes'),
    buildings: vector('buildings'),
    events: vector('events'),
    cameras: vector('cameras'),
    obstacles: vector('obstacles'),
    roads: vector('roads'),
    'camera-sectors': { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    'blind-spots': { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    selection: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#F4F3EF' } }];
  if (basemapUrl) {
    sources.basemap = { type: 'raster', tiles: [basemapUrl], tileSize: 256 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.8 } });
  }
  const isTown = ['==', ['length', ['to-string', ['get', 'code']]], 9];
  const isVillage = ['==', ['length', ['to-string', ['get', 'code']]], 12];
  layers.push(
    {
      id: 'grid-fill', type: 'fill', source: 'grids', 'source-layer': 'grids',
      paint: { 'fill-color': gridFillColour('kind'), 'fill-opacity': 0.45 },
    },
    // The offline basemap's roads: white on the tinted grids with a grey edge, wider by class
    // and zoom (the tiles thin minor roads out below z13); street names along them from z14.
    {
      id: 'road-casing', type: 'line', source: 'roads', 'source-layer': 'roads',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ROAD_CASING_COLOUR, 'line-width': roadWidth(1.6) },
    },
    {
      id: 'road-line', type: 'line', source: 'roads', 'source-layer': 'roads',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': matchColour('class', ROAD_COLOURS, '#FFFFFF'), 'line-width': roadWidth() },
    },
    {
      id: 'road-label', type: 'symbol', source: 'roads', 'source-layer': 'roads', minzoom: 14,
      filter: ['!=', ['get', 'name'], ''],
      layout: {
        'symbol-placement': 'line', 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 11,
        'text-letter-spacing': 0.1, 'symbol-spacing': 400,
      },
      paint: { 'text-color': '#5A6570', 'text-halo-color': '#FFFFFF', 'text-halo-width': 1.5 },
    },
    {
      id: 'grid-line', type: 'line', source: 'grids', 'source-layer': 'grids',
      paint: { 'line-color': '#33506B', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.5, 15, 1.5] },
    },
    {
      // Grids no worker serves (一格一员): the code list is set from /api/v1/grids/without-worker.
      id: 'grid-unstaffed', type: 'line', source: 'grids', 'source-layer': 'grids',
      filter: ['in', ['get', 'code'], ['literal', []]],
      paint: { 'line-color': UNSTAFFED_COLOUR, 'line-width': 3, 'line-dasharray': [2, 1] },
    },
    {
      id: 'village-line', type: 'line', source: 'regions', 'source-layer': 'regions', minzoom: 11,
      filter: isVillage,
      paint: { 'line-color': '#555555', 'line-width': 1.2, 'line-dasharray': [3, 2] },
    },
    {
      id: 'town-line', type: 'line', source: 'regions', 'source-layer': 'regions',
      filter: isTown,
      paint: { 'line-color': '#222222', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 1.2, 14, 3] },
    },
    {
      id: 'key-area-fill', type: 'fill', source: 'key-areas', 'source-layer': 'key-areas',
      paint: { 'fill-pattern': 'hatch' },
    },
    {
      id: 'key-area-line', type: 'line', source: 'key-areas', 'source-layer': 'key-areas',
      paint: {
        'line-color': ['case', ['==', ['get', 'status'], 'overdue'], OVERDUE_COLOUR,
          matchColour('category', KEY_AREA_COLOURS)],
        'line-width': ['case', ['==', ['get', 'status'], 'overdue'], 3, 2],
        'line-dasharray': [2, 1.5],
      },
    },
    {
      id: 'route-line', type: 'line', source: 'patrol-routes', 'source-layer': 'patrol-routes',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ROUTE_COLOUR, 'line-width': 3, 'line-dasharray': [1, 1.5] },
    },
    {
      id: 'event-heat', type: 'heatmap', source: 'events', 'source-layer': 'events', maxzoom: 16,
      paint: {
        'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'],
          0, HEAT_RAMP[0], 0.2, HEAT_RAMP[1], 0.45, HEAT_RAMP[2], 0.7, HEAT_RAMP[3], 1, HEAT_RAMP[4]],
        // 100,000 events a year: keep the city view readable, sharpen as one zooms in. Below
        // z14 a point is a heat cell of `count` events (tiles/layers.rs), weighted as many.
        'heatmap-weight': ['*', 0.5, ['coalesce', ['get', 'count'], 1]],
        'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 9, 3, 12, 8, 15, 18],
        'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 9, 0.03, 12, 0.15, 15, 0.6],
        'heatmap-opacity': ['interpolate', ['linear'], ['zoom'], 9, 0.75, 13, 0.55, 16, 0],
      },
    },
    {
      id: 'event-dot', type: 'circle', source: 'events', 'source-layer': 'events', minzoom: 15,
      paint: { 'circle-radius': 3, 'circle-color': HEAT_RAMP[3], 'circle-stroke-color': '#FFFFFF', 'circle-stroke-width': 0.5 },
    },
    {
      id: 'building-dot', type: 'circle', source: 'buildings', 'source-layer': 'buildings', minzoom: 14,
      paint: { 'circle-radius': 2.5, 'circle-color': '#7A6F5F', 'circle-opacity': 0.7 },
    },
    {
      // Blind spots (视频盲区): parts of grids no online camera sees; hidden by default.
      id: 'blind-spot-fill', type: 'fill', source: 'blind-spots', minzoom: 13,
      paint: { 'fill-color': BLIND_SPOT_COLOUR, 'fill-opacity': 0.35 },
    },
    {
      id: 'blind-spot-line', type: 'line', source: 'blind-spots', minzoom: 13,
      paint: { 'line-color': BLIND_SPOT_COLOUR, 'line-width': 1 },
    },
    {
      // A dome's full circle is a faint wash; a fixed camera's fan a little stronger.
      id: 'camera-sector-fill', type: 'fill', source: 'camera-sectors', minzoom: 15,
      paint: {
        'fill-color': matchColour('status', CAMERA_STATUS_COLOURS),
        'fill-opacity': ['case', ['get', 'full'], 0.05, 0.16],
      },
    },
    {
      id: 'camera-sector-line', type: 'line', source: 'camera-sectors', minzoom: 15,
      filter: ['==', ['get', 'status'], 'online'],
      paint: { 'line-color': CAMERA_STATUS_COLOURS.online, 'line-width': 1 },
    },
    {
      // Offline and faulty cameras: dashed, so the status does not rest on colour alone.
      id: 'camera-sector-line-down', type: 'line', source: 'camera-sectors', minzoom: 15,
      filter: ['!=', ['get', 'status'], 'online'],
      paint: { 'line-color': matchColour('status', CAMERA_STATUS_COLOURS), 'line-width': 1, 'line-dasharray': [2, 2] },
    },
    {
      // Obstacles (遮挡物) that hide what cameras see, drawn over the fields of view they cut:
      // footprints filled, footprints and walls outlined.
      id: 'obstacle-fill', type: 'fill', source: 'obstacles', 'source-layer': 'obstacles', minzoom: OBSTACLE_MIN_ZOOM,
      filter: ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false],
      paint: { 'fill-color': OBSTACLE_COLOUR, 'fill-opacity': 0.45 },
    },
    {
      id: 'obstacle-line', type: 'line', source: 'obstacles', 'source-layer': 'obstacles', minzoom: OBSTACLE_MIN_ZOOM,
      paint: {
        'line-color': OBSTACLE_COLOUR,
        'line-width': ['match', ['geometry-type'], ['LineString', 'MultiLineString'], 3, 1.2],
      },
    },
    {
      // Below z13 the cameras tiles hold count bubbles (point_count), not cameras.
      id: 'camera-cluster', type: 'circle', source: 'cameras', 'source-layer': 'cameras',
      filter: ['has', 'point_count'],
      paint: {
        'circle-radius': ['step', ['get', 'point_count'], 7, 10, 10, 100, 14, 1000, 19],
        'circle-color': CAMERA_STATUS_COLOURS.online,
        'circle-opacity': 0.8,
        // A bubble where a tenth or more of the cameras are at fault gets an alarm-coloured ring.
        'circle-stroke-color': ['case', FAULTY_CLUSTER, CAMERA_STATUS_COLOURS.fault, '#FFFFFF'],
        'circle-stroke-width': ['case', FAULTY_CLUSTER, 2.5, 1],
      },
    },
    {
      id: 'camera-cluster-count', type: 'symbol', source: 'cameras', 'source-layer': 'cameras',
      filter: ['has', 'point_count'],
      layout: { 'text-field': ['to-string', ['get', 'point_count']], 'text-font': FONT, 'text-size': 11, 'text-allow-overlap': true },
      paint: { 'text-color': '#FFFFFF' },
    },
    {
      id: 'camera-dot', type: 'circle', source: 'cameras', 'source-layer': 'cameras',
      filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 2, 16, 5],
        'circle-color': matchColour('status', CAMERA_STATUS_COLOURS),
        'circle-stroke-color': '#FFFFFF',
        'circle-stroke-width': 1,
      },
    },
    {
      id: 'selection-fill', type: 'fill', source: 'selection',
      filter: ['all', ['==', ['geometry-type'], 'Polygon'], ['!=', ['get', 'role'], 'version']],
      paint: { 'fill-color': '#F0E442', 'fill-opacity': ['case', ['==', ['get', 'role'], 'sector'], 0.45, 0.15] },
    },
    {
      id: 'selection-line', type: 'line', source: 'selection',
      filter: ['all', ['!=', ['geometry-type'], 'Point'], ['!=', ['get', 'role'], 'version']],
      paint: { 'line-color': '#000000', 'line-width': 2.5 },
    },
    {
      // An old version of a grid, from the history view.
      id: 'selection-version', type: 'line', source: 'selection', filter: ['==', ['get', 'role'], 'version'],
      paint: { 'line-color': '#6A3D9A', 'line-width': 3, 'line-dasharray': [2, 1] },
    },
    {
      id: 'selection-point', type: 'circle', source: 'selection', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 6, 'circle-color': '#000000', 'circle-stroke-color': '#F0E442', 'circle-stroke-width': 3 },
    },
    {
      // One point per grid (the tiles' grid-labels layer), so a grid is labelled once.
      id: 'grid-label', type: 'symbol', source: 'grids', 'source-layer': 'grid-labels', minzoom: 13,
      layout: {
        'text-field': ['format', ['get', 'name'], {}, '\n', {}, ['get', 'code'], { 'font-scale': 0.8 }],
        'text-font': FONT,
        'text-size': 12,
        'text-max-width': 10,
      },
      paint: { 'text-color': '#1B2A38', 'text-halo-color': '#FFFFFF', 'text-halo-width': 1.5 },
    },
    {
      // Place names of the offline basemap, one per town or village (the tiles' region-labels).
      id: 'town-label', type: 'symbol', source: 'regions', 'source-layer': 'region-labels', minzoom: 9, maxzoom: 13,
      filter: isTown,
      layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 14 },
      paint: { 'text-color': '#222222', 'text-halo-color': '#FFFFFF', 'text-halo-width': 2 },
    },
    {
      id: 'village-label', type: 'symbol', source: 'regions', 'source-layer': 'region-labels', minzoom: 12, maxzoom: 14.5,
      filter: isVillage,
      layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 12 },
      paint: { 'text-color': '#555555', 'text-halo-color': '#FFFFFF', 'text-halo-width': 1.5 },
    },
    {
      id: 'key-area-label', type: 'symbol', source: 'key-areas', 'source-layer': 'key-areas', minzoom: 14,
      layout: {
        'text-field': keyAreaLabel(deadlineWord),
        'text-font': FONT,
        'text-size': 12,
      },
      paint: { 'text-color': '#5B1F00', 'text-halo-color': '#FFFFFF', 'text-halo-width': 1.5 },
    },
  );
  return {
    version: 8,
    // No `glyphs`: MapLibre draws labels with local fonts, so the map needs nothing from outside.
    sources,
    layers,
  };
}
