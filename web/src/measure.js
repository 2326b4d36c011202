// The measure tool (测量): click points on the map for a distance, or close them into an area;
// each click shows the running total, Enter or a double-click finishes, Esc or 清除 starts over.
// Anyone may measure; while the tool is on, map clicks belong to it, not to the inspector.

import { el, fill } from './dom.js';
import { areaM2, lengthM } from './geodesy.js';
import { language, onLanguageChange, t } from './i18n.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const COLOUR = '#000000';

function format(value, unit) {
  return `${new Intl.NumberFormat(language(), { maximumFractionDigits: value < 100 ? 1 : 0 }).format(value)} ${t(unit)}`;
}

/** A length in m or km, an area in m² or km², in the page's language. */
function describe(mode, points) {
  if (mode === 'area') {
    if (points.length < 3) return t('measure.area_hint');
    const m2 = areaM2({ type: 'Polygon', coordinates: [[...points, points[0]]] });
    return m2 >= 1e6 ? format(m2 / 1e6, 'unit.km2') : format(m2, 'unit.m2');
  }
  if (points.length < 2) return t('measure.distance_hint');
  const m = lengthM(points);
  return m >= 1000 ? format(m / 1000, 'unit.km') : format(m, 'metres');
}

export function setupMeasure(map) {
  const state = { on: false, mode: 'distance', points: [], finished: false };
  const button = el('button', { type: 'button', class: 'maplibregl-ctrl-measure', 'data-action': 'measure', title: t('measure.open') }, t('measure.short'));
  const box = el('div', { class: 'measure-box', 'data-testid': 'measure', hidden: true });
  const control = {
    onAdd: () => el('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group measure-ctrl' }, button),
    onRemove: () => {},
  };
  map.addControl(control, 'top-right');
  map.getContainer().append(box);

  const draw = () => {
    const ring = state.mode === 'area' && state.points.length >= 3 ? [[...state.points, state.points[0]]] : null;
    const features = [
      ...state.points.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } })),
      state.points.length >= 2
        ? { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: ring ? ring[0] : state.points } }
        : null,
      ring ? { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: ring } } : null,
    ].filter(Boolean);
    map.getSource('measure')?.setData({ type: 'FeatureCollection', features });
    render();
  };
  const render = () => {
    button.title = t('measure.open');
    button.textContent = t('measure.short');
    button.setAttribute('aria-pressed', String(state.on));
    box.hidden = !state.on;
    if (!state.on) return;
    const mode = (m) => el('button', {
      type: 'button', 'data-mode': m, 'aria-pressed': String(state.mode === m),
      onclick: () => { state.mode = m; state.finished = false; draw(); },
    }, t(`measure.${m}`));
    fill(box,
      el('div', { class: 'actions' }, mode('distance'), mode('area')),
      el('p', { class: 'measure-total', 'data-testid': 'measure-total' }, describe(state.mode, state.points)),
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'measure-clear', onclick: clear }, t('measure.clear')),
        el('button', { type: 'button', 'data-action': 'measure-close', onclick: () => toggle(false) }, t('measure.close'))));
  };
  const clear = () => {
    state.points = [];
    state.finished = false;
    draw();
  };
  const toggle = (on = !state.on) => {
    state.on = on;
    map.getCanvas().style.cursor = on ? 'crosshair' : '';
    if (on) map.doubleClickZoom.disable();
    else map.doubleClickZoom.enable();
    clear();
  };
  button.addEventListener('click', () => toggle());
  map.on('load', () => {
    map.addSource('measure', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'measure-fill', type: 'fill', source: 'measure', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': COLOUR, 'fill-opacity': 0.08 } });
    map.addLayer({ id: 'measure-line', type: 'line', source: 'measure', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': COLOUR, 'line-width': 2, 'line-dasharray': [3, 2] } });
    map.addLayer({ id: 'measure-point', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#FFFFFF', 'circle-stroke-color': COLOUR, 'circle-stroke-width': 2 } });
  });
  map.on('click', (e) => {
    if (!state.on) return;
    if (state.finished) state.points = [];
    state.finished = false;
    state.points.push([e.lngLat.lng, e.lngLat.lat]);
    draw();
  });
  map.on('dblclick', () => {
    if (state.on) state.finished = true;
  });
  document.addEventListener('keydown', (e) => {
    if (!state.on) return;
    if (e.key === 'Escape') clear();
    if (e.key === 'Enter') state.finished = true;
  });
  onLanguageChange(render);
  return { active: () => state.on };
}
