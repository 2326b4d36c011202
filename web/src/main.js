// The web map (一张图): builds the MapLibre map from this server's tiles, and wires the layer
// switcher, legend, point inspector (with the obstacles under the point), search, camera
// sectors, the placement-advice panel and the language switch.
// Everything it loads comes from this server; an external basemap is opt-in (`/config.json`).

import * as maplibregl from 'maplibre-gl';
import { el } from './dom.js';
import { getJson, origin } from './http.js';
import * as i18n from './i18n.js';
import { t } from './i18n.js';
import { viewBbox } from './view.js';
import { renderGridFigures, renderHistory, renderLocation, renderMessage, renderObstacles } from './inspector.js';
import { renderLegend } from './legend.js';
import { setupMeasure } from './measure.js';
import { setupShortcuts } from './shortcuts.js';
import { setupDivision } from './divide.js';
import { setupPlacement } from './placement.js';
import { setupPlanner } from './planner.js';
import { setupPrint } from './print.js';
import { setupRegionTree } from './regions.js';
import { setupAttributeTable } from './table.js';
import { assign, showUnstaffed, unassign } from './staffing.js';
import { setupTransfer } from './transfer.js';
import { sectorFeature } from './sectors.js';
import { setupBlindSpots, showCameraHealth, showGridCoverage } from './coverage.js';
import {
  DEFAULT_VISIBLE, LAYER_GROUPS, buildStyle, gridFillColour, hatchImage, keyAreaLabel,
} from './style.js';

const SECTOR_MIN_ZOOM = 15;
const ROUTE_WITHIN_M = 200;
const EMPTY = { type: 'FeatureCollection', features: [] };

/** What a failed read shows: the error's message (a server problem worded in the page's
 * language, or why the request got no answer). */
const said = (error) => error.message;

function visibleGroups() {
  const asked = new URLSearchParams(location.search).get('layers');
  return new Set(asked === null ? DEFAULT_VISIBLE : asked.split(',').filter((g) => g in LAYER_GROUPS));
}

function remember(key, value) {
  const url = new URL(location.href);
  url.searchParams.set(key, value);
  history.replaceState(null, '', url);
}

async function start() {
  i18n.apply();
  const [config, gridsTile] = await Promise.all([
    getJson('/config.json'),
    getJson('/tiles/grids.json').catch(() => null),
  ]);
  const bounds = gridsTile?.bounds ?? [120.0, 29.0, 120.6, 29.5];
  const map = new maplibregl.Map({
    container: 'map',
    style: buildStyle(origin, config.basemap_url, t('deadline')),
    bounds: [[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
    fitBoundsOptions: { padding: 20 },
    maxZoom: 19,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif",
    attributionControl: false,
  });
  window.safegridMap = map; // for the browser tests and for debugging from the console
  map.keyboard.disableRotation();
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.on('styleimagemissing', (e) => {
    if (e.id === 'hatch') map.addImage('hatch', hatchImage());
  });

  const measure = setupMeasure(map);
  setupLayerSwitcher(map);
  setupLayersSheet();
  setupGridColour(map);
  // After a saved edit: the data version, the inspector's answer and the unstaffed list change.
  const changed = { listeners: [() => showDataVersion(), () => showUnstaffed(map)] };
  const announce = () => changed.listeners.forEach((listener) => listener());
  const planner = setupPlanner(map, {
    refreshLayer: (layer) => refreshLayer(map, layer),
    onChanged: announce,
  });
  const placement = setupPlacement(map);
  const inspector = setupInspector(map, planner, placement, measure);
  changed.listeners.push(inspector.again);
  setupDivision(map, {
    currentVillage: () => lastVillage,
    planner,
    refreshLayer: (layer) => refreshLayer(map, layer),
    onChanged: announce,
  });
  const transfer = setupTransfer({
    onImported: (layer) => refreshLayer(map, layer).then(announce),
    viewBox: () => viewBbox(map),
    currentVillage: () => lastVillage,
  });
  setupSectors(map);
  setupBlindSpots(map);
  const show = (hit) => showFound(map, inspector, hit);
  setupSearch(show);
  // A node picked in the tree is shown on the map: on a phone the layers sheet steps aside.
  const regionTree = setupRegionTree((hit) => {
    document.getElementById('layers-panel').classList.remove('open');
    show(hit);
  });
  setupAttributeTable(map, show);
  setupPrint(map, () => [lastVillage?.name, t('app.title')].filter(Boolean).join(' '));
  changed.listeners.push(regionTree.refresh);
  setupCursor(map);
  setupShortcuts();
  setupLanguage(map, transfer, placement);
  redrawLegend();
  showDataVersion();
  map.on('load', () => showUnstaffed(map));
  map.once('idle', () => document.body.classList.add('map-ready'));
}

/** Reloads a tile layer after an edit: its TileJSON carries the new data version in the tile
 * URLs, so no stale tile survives. */
async function refreshLayer(map, layer) {
  const source = map.getSource(layer);
  if (!source) return;
  await new Promise((resolve) => {
    map.once('idle', resolve);
    source.setUrl(`${origin}/tiles/${layer}.json?at=${Date.now()}`);
  });
}

/** The layer groups switched on (the switcher's state; the legend shows only these). */
const shown = visibleGroups();

/** Redraws the legend for the shown groups, the grid colouring and the page's language. */
function redrawLegend() {
  renderLegend(document.getElementById('legend'), document.getElementById('grid-colour').value, shown);
}

/** Where the page is narrow, the left panel (layers, legend, import) is a sheet the layers
 * button opens. */
function setupLayersSheet() {
  const panel = document.getElementById('layers-panel');
  document.getElementById('layers-open').addEventListener('click', () => panel.classList.add('open'));
  document.getElementById('layers-close').addEventListener('click', () => panel.classList.remove('open'));
}

function setupLayerSwitcher(map) {
  const list = document.getElementById('layer-switcher');
  const apply = (group, on) => {
    for (const id of LAYER_GROUPS[group]) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
  };
  list.replaceChildren(...Object.keys(LAYER_GROUPS).map((group) => {
    const box = el('input', {
      type: 'checkbox',
      checked: shown.has(group),
      dataset: { group },
      onchange: () => {
        apply(group, box.checked);
        if (box.checked) shown.add(group);
        else shown.delete(group);
        remember('layers', [...shown].join(','));
        redrawLegend();
      },
    });
    return el('li', {}, el('label', {}, box, ' ', el('span', { dataset: { i18n: `layer.${group}` } }, t(`layer.${group}`))));
  }));
  map.on('style.load', () => {
    for (const group of Object.keys(LAYER_GROUPS)) apply(group, shown.has(group));
  });
}

function setupGridColour(map) {
  const select = document.getElementById('grid-colour');
  const asked = new URLSearchParams(location.search).get('colour');
  if (asked === 'workload' || asked === 'kind') select.value = asked;
  const apply = () => {
    map.setPaintProperty('grid-fill', 'fill-color', gridFillColour(select.value));
    redrawLegend();
  };
  select.addEventListener('change', () => {
    apply();
    remember('colour', select.value);
  });
  map.on('style.load', apply);
}

/** The village of the last inspected point (the division assistant starts from it). */
let lastVillage = null;

/** The selection overlay: the clicked point, a highlighted grid, camera sector or old version. */
const selection = { point: null, grid: null, sector: null, version: null };

function drawSelection(map) {
  const features = [selection.grid, selection.version, selection.sector, selection.point].filter(Boolean);
  map.getSource('selection')?.setData({ type: 'FeatureCollection', features });
}

/** Obstacles drawn at `lngLat` (their tile properties: id, name, kind, height_m), one per id. */
function obstaclesAt(map, lngLat) {
  const layers = ['obstacle-fill', 'obstacle-line'].filter((id) => map.getLayer(id)
    && map.getLayoutProperty(id, 'visibility') !== 'none');
  if (!layers.length) return [];
  const p = map.project(lngLat);
  const hits = map.queryRenderedFeatures([[p.x - 3, p.y - 3], [p.x + 3, p.y + 3]], { layers });
  return [...new Map(hits.map((f) => [f.properties.id, f.properties])).values()];
}

function setupInspector(map, planner, placement, measure) {
  const drawer = document.getElementById('inspector');
  const body = document.getElementById('inspector-body');
  let asked = 0;
  const handlers = {
    async showGrid(code) {
      const grid = await getJson(`/api/v1/grids/${encodeURIComponent(code)}`);
      selection.grid = { type: 'Feature', properties: { role: 'grid' }, geometry: grid.geometry };
      drawSelection(map);
      renderGridFigures(body.querySelector('[data-testid=grid-figures]'), grid);
    },
    canEdit: () => planner.signedIn(),
    assign: (code, workerId, duty) => staffingChange(assign(code, workerId, duty)),
    unassign: (code, workerId) => staffingChange(unassign(code, workerId)),
    editGrid: (code) => planner.startEdit(code),
    splitGrid: (code) => planner.startSplit(code),
    mergeGrid: (code) => planner.startMerge(code),
    async showHistory(code, list) {
      const history = await getJson(`/api/v1/grids/${encodeURIComponent(code)}/history`);
      renderHistory(list, history, (feature) => {
        selection.version = { type: 'Feature', properties: { role: 'version' }, geometry: feature.geometry };
        drawSelection(map);
      });
    },
    async showCamera(code) {
      // What the camera really sees (tilt, range, obstacles), as the server computes it.
      const seen = await getJson(`/api/v1/cameras/${encodeURIComponent(code)}/coverage`);
      selection.sector = seen.geometry ? { type: 'Feature', properties: { role: 'sector' }, geometry: seen.geometry } : null;
      drawSelection(map);
      showCameraHealth(body.querySelector('[data-testid=camera-health]'), code);
      for (const button of body.querySelectorAll('[data-camera]')) {
        button.classList.toggle('selected', button.dataset.camera === code);
      }
    },
  };
  const inspect = async (lngLat) => {
    const mine = ++asked;
    drawer.hidden = false;
    renderMessage(body, t('inspector.loading'));
    selection.point = { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] } };
    selection.grid = null;
    selection.sector = null;
    selection.version = null;
    drawSelection(map);
    try {
      // As the signed-in role: workers' phones are masked for anyone else (and a viewer).
      const answer = await getJson(`/api/v1/locate?lon=${lngLat.lng}&lat=${lngLat.lat}&route_within_m=${ROUTE_WITHIN_M}`, { auth: true });
      if (mine !== asked) return;
      lastVillage = answer.village;
      renderLocation(body, answer, handlers);
      renderObstacles(body, obstaclesAt(map, lngLat));
      placement.setLocation(answer);
      document.getElementById('breadcrumb').textContent =
        [answer.town?.name, answer.village?.name, answer.grid?.name].filter(Boolean).join(' › ');
      if (answer.micro_grid) {
        getJson(`/api/v1/grids/${encodeURIComponent(answer.micro_grid.code)}`)
          .then((micro) => renderGridFigures(body.querySelector('[data-testid=micro-grid-figures]'), micro))
          .catch(() => {});
      }
      if (answer.grid) {
        showGridCoverage(body.querySelector('[data-testid=grid-coverage]'), answer.grid.code);
        await handlers.showGrid(answer.grid.code);
      }
      return answer;
    } catch (error) {
      if (mine === asked) renderMessage(body, `${t('inspector.error')}: ${said(error)}`, 'warning');
    }
    return null;
  };
  map.on('click', async (e) => {
    if (measure.active()) return;
    if (await planner.pickAt(e.lngLat)) return;
    if (planner.busy()) return;
    // A camera count bubble opens up: zoom in on it (clusters end at z13).
    const [cluster] = map.getLayer('camera-cluster') ? map.queryRenderedFeatures(e.point, { layers: ['camera-cluster'] }) : [];
    if (cluster) {
      map.easeTo({ center: cluster.geometry.coordinates, zoom: Math.min(map.getZoom() + 2, 13) });
      return;
    }
    inspect(e.lngLat);
  });
  const staffingError = (error) => {
    const out = body.querySelector('[data-testid=grid-staffing-error]');
    out.textContent = error;
    out.hidden = false;
  };
  handlers.staffingError = staffingError;
  /** After an assignment change: show the error, or look the point up again and refresh the
   * list of grids without a worker. */
  const staffingChange = async (pending) => {
    const error = await pending;
    if (error) {
      staffingError(error);
      return;
    }
    const [lng, lat] = selection.point.geometry.coordinates;
    await Promise.all([inspect({ lng, lat }), showUnstaffed(map), showDataVersion()]);
  };
  document.getElementById('inspector-close').addEventListener('click', () => {
    drawer.hidden = true;
    Object.assign(selection, { point: null, grid: null, sector: null, version: null });
    drawSelection(map);
  });
  const again = () => {
    if (!drawer.hidden && selection.point) {
      const [lng, lat] = selection.point.geometry.coordinates;
      inspect({ lng, lat });
    }
  };
  i18n.onLanguageChange(again);
  /** A search hit: pin its anchor, look that point up, and outline the item found itself (a
   * micro-grid, a village, a key area or a route, not only the grid around the pin). */
  const found = async (hit) => {
    const answer = await inspect({ lng: hit.anchor[0], lat: hit.anchor[1] });
    if (hit.layer === 'cameras') {
      await handlers.showCamera(hit.key);
      return;
    }
    if (hit.layer === 'buildings' || hit.layer === 'events') return;
    // A grid found is the one the inspector has just outlined: no second fetch.
    if (hit.layer === 'grids' && answer?.grid?.code === hit.key && selection.grid) {
      selection.grid.properties.role = 'found';
      drawSelection(map);
      return;
    }
    const feature = await getJson(`/api/v1/${hit.layer}/${encodeURIComponent(hit.key)}`, { accept: 'application/geo+json' })
      .catch(() => null);
    if (!feature?.geometry) return;
    selection.grid = { type: 'Feature', properties: { role: 'found' }, geometry: feature.geometry };
    drawSelection(map);
  };
  return { again, found };
}

/** Field-of-view sectors for the cameras in view, from zoom 15, while their layer is on. */
function setupSectors(map) {
  let asked = 0;
  const refresh = async () => {
    const mine = ++asked;
    const on = map.getLayer('camera-sector-fill') && map.getLayoutProperty('camera-sector-fill', 'visibility') !== 'none';
    if (!on || map.getZoom() < SECTOR_MIN_ZOOM) {
      map.getSource('camera-sectors')?.setData(EMPTY);
      return;
    }
    const bbox = viewBbox(map);
    try {
      const page = await getJson(`/api/v1/cameras?bbox=${bbox}&limit=5000`);
      if (mine !== asked) return;
      const features = page.features.map((f) => sectorFeature(f.properties, f.geometry.coordinates));
      map.getSource('camera-sectors')?.setData({ type: 'FeatureCollection', features });
    } catch (error) {
      console.warn('camera sectors:', said(error));
    }
  };
  map.on('moveend', refresh);
  map.on('load', refresh);
  document.getElementById('layer-switcher').addEventListener('change', () => setTimeout(refresh, 0));
}

/** The search box: a picked hit moves the map to it, pins it, outlines it and opens the
 * inspector there. */
/** Moves the map to something found (a search hit, a node of the region tree) and opens the
 * inspector on it. */
function showFound(map, inspector, hit) {
  const [w, s, e, n] = hit.bbox;
  if (w === e && s === n) map.flyTo({ center: [w, s], zoom: 17 });
  else map.fitBounds([[w, s], [e, n]], { padding: 60, maxZoom: 17 });
  inspector.found(hit);
}

function setupSearch(show) {
  const form = document.getElementById('search');
  const input = document.getElementById('search-input');
  const list = document.getElementById('search-results');
  let asked = 0;
  const choose = (hit) => {
    list.hidden = true;
    show(hit);
  };
  const search = async () => {
    const q = input.value.trim();
    const mine = ++asked;
    if (!q) {
      list.hidden = true;
      return;
    }
    const answer = await getJson(`/api/v1/search?q=${encodeURIComponent(q)}&limit=10`).catch(() => ({ results: [] }));
    if (mine !== asked) return;
    list.replaceChildren(...(answer.results.length ? answer.results.map((hit) => el('li', {
      role: 'option',
      tabindex: 0,
      onclick: () => choose(hit),
      onkeydown: (e) => { if (e.key === 'Enter') choose(hit); },
    }, `${t(`result.${hit.layer}`)} · ${hit.name} `, el('code', {}, hit.key))) : [el('li', { class: 'muted' }, t('search.none'))]));
    list.hidden = false;
  };
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await search();
    list.querySelector('li[role=option]')?.click();
  });
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape') list.hidden = true; });
}

function setupCursor(map) {
  const out = document.getElementById('cursor');
  map.on('mousemove', (e) => { out.textContent = `${e.lngLat.lng.toFixed(6)}, ${e.lngLat.lat.toFixed(6)}`; });
}

/** What the city holds, in the bottom bar (refreshed after every saved edit): grids, workers,
 * cameras and events, counted; the data version and store only in its tooltip, for support. */
let dataVersion = null;
async function showDataVersion() {
  const health = await getJson('/healthz').catch(() => null);
  if (!health) return;
  const out = document.getElementById('data-version');
  out.dataset.version = health.snapshot_version;
  const render = () => {
    const number = new Intl.NumberFormat(i18n.language());
    out.textContent = ['grids', 'workers', 'cameras', 'events']
      .map((layer) => t(`footer.${layer}`).replace('{n}', number.format(health.counts?.[layer] ?? 0)))
      .join(' · ');
    out.title = `${t('data.version')} ${health.snapshot_version} · ${health.store}`;
  };
  render();
  if (dataVersion === null) i18n.onLanguageChange(() => dataVersion?.());
  dataVersion = render;
}

function setupLanguage(map, transfer, placement) {
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => i18n.setLanguage(button.dataset.lang));
  }
  i18n.onLanguageChange(() => {
    map.setLayoutProperty('key-area-label', 'text-field', keyAreaLabel(t('deadline')));
    redrawLegend();
    showUnstaffed(map);
    transfer.render();
    placement.render();
  });
}

start().catch((error) => {
  document.body.classList.add('map-failed');
  console.error(error);
  renderMessage(document.getElementById('legend'), `${said(error)}`, 'warning');
});
