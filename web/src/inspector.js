// The inspector drawer: renders one `/api/v1/locate` answer (town, village, grid and micro-grid
// with workers, the cameras that see the point, key areas, nearby patrol routes). Built with DOM
// nodes and textContent only, so data can never inject markup.

import { el, fill } from './dom.js';
import { areaM2 } from './geodesy.js';
import { language, t, tooltip } from './i18n.js';
import { pickerInput, suggestWorkers } from './picker.js';

const metres = (m) => `${m < 10 ? m.toFixed(1) : Math.round(m)} ${t('metres')}`;

function section(titleKey, testId, items, empty) {
  return el('section', { 'data-testid': testId },
    el('h3', {}, t(titleKey)),
    items.length ? el('ul', {}, items) : el('p', { class: 'muted' }, empty ?? t('inspector.none')));
}

/** A worker's phone: a number to call, or masked (138****1768) for a role that may not see it. */
function phone(number) {
  if (!number) return null;
  return number.includes('*')
    ? el('span', { class: 'phone muted', 'data-testid': 'phone-masked', title: t('phone.masked') }, number)
    : el('a', { class: 'phone', href: `tel:${number}` }, number);
}

function workerItem(worker, grid, handlers) {
  const duty = `duty.${worker.duty}`;
  return el('li', { class: 'worker', dataset: { worker: worker.id } },
    el('span', { class: 'chip', title: tooltip(duty) || undefined }, t(duty)),
    ' ', el('strong', {}, worker.name),
    ' ', el('span', { class: 'muted' }, t(`role.${worker.role}`)),
    phone(worker.phone),
    handlers.canEdit()
      ? el('button', { type: 'button', class: 'link', 'data-action': 'unassign', onclick: () => handlers.unassign(grid.code, worker.id) }, t('staffing.unassign'))
      : null);
}

/** The planner's form to assign a worker, picked by name, to `grid` with a duty. */
function assignForm(grid, handlers) {
  const worker = pickerInput({
    name: 'worker',
    placeholder: t('staffing.worker_pick'),
    suggest: suggestWorkers,
    // A worker id as the API keeps them: letters, digits, `-` and `_`, no spaces.
    isKey: (text) => /^[A-Za-z0-9_-]+$/.test(text),
  });
  const form = el('form', { class: 'assign', 'data-testid': 'assign-form' },
    worker.input, worker.list,
    el('select', { name: 'duty', 'aria-label': t('staffing.duty') },
      ['leader', 'full_time', 'part_time', 'police'].map((d) => el('option', { value: d }, t(`duty.${d}`)))),
    el('button', { type: 'submit' }, t('staffing.assign')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = worker.keyOf();
    if (!id) {
      handlers.staffingError(t('staffing.pick_from_list'));
      return;
    }
    handlers.assign(grid.code, id, form.elements.duty.value);
  });
  return form;
}

function gridBlock(grid, titleKey, testId, handlers) {
  if (!grid) return null;
  return el('section', { 'data-testid': testId },
    el('h3', {}, t(titleKey)),
    el('p', {},
      el('button', { type: 'button', class: 'link', onclick: () => handlers.showGrid(grid.code) }, grid.name),
      ' ', el('code', { 'data-testid': `${testId}-code` }, grid.code)),
    el('p', { class: 'muted' }, `${t(`kind.${grid.kind}`)} · ${t('inspector.edge')} ${metres(grid.edge_distance_m)}`),
    el('p', { class: 'figures', 'data-testid': `${testId}-figures` }),
    testId === 'grid' ? el('p', { class: 'coverage', 'data-testid': 'grid-coverage' }) : null,
    grid.workers.length
      ? el('ul', {}, grid.workers.map((w) => workerItem(w, grid, handlers)))
      : el('p', { class: 'warning', 'data-testid': `${testId}-no-workers` }, t('inspector.no_workers')),
    handlers.canEdit() && testId === 'grid' ? assignForm(grid, handlers) : null,
    el('p', { class: 'warning', 'data-testid': `${testId}-staffing-error`, hidden: true }),
    el('div', { class: 'actions' },
      el('button', { type: 'button', 'data-action': 'history', onclick: (e) => handlers.showHistory(grid.code, e.target.closest('section').querySelector('.history')) }, t('history.show')),
      handlers.canEdit() ? [
        el('button', { type: 'button', 'data-action': 'edit', onclick: () => handlers.editGrid(grid.code) }, t('planner.edit')),
        el('button', { type: 'button', 'data-action': 'split', onclick: () => handlers.splitGrid(grid.code) }, t('planner.split')),
        el('button', { type: 'button', 'data-action': 'merge', onclick: () => handlers.mergeGrid(grid.code) }, t('planner.merge')),
      ] : null),
    el('ol', { class: 'history', 'data-testid': `${testId}-history` }));
}

/** Fills `target` with a grid's households, residents and area, from its GeoJSON Feature. */
export function renderGridFigures(target, feature) {
  if (!target || !feature) return;
  const number = new Intl.NumberFormat(language());
  const p = feature.properties;
  const km2 = areaM2(feature.geometry) / 1e6;
  target.textContent = [
    `${t('households')} ${number.format(p.households ?? 0)}`,
    `${t('grid.population')} ${number.format(p.population ?? 0)}`,
    `${t('grid.area')} ${km2 < 1 ? number.format(Math.round(km2 * 1e6)) + ' ' + t('unit.m2') : number.format(Math.round(km2 * 100) / 100) + ' ' + t('unit.km2')}`,
  ].join(' · ');
}

/** Lists a grid's versions, newest first; clicking one draws its boundary through `show`. */
export function renderHistory(list, history, show) {
  const versions = [...history.features].sort((a, b) => b.properties.version - a.properties.version);
  list.replaceChildren(...versions.map((f) => {
    const p = f.properties;
    const span = `${p.valid_from.slice(0, 16).replace('T', ' ')} → ${p.valid_to ? p.valid_to.slice(0, 16).replace('T', ' ') : t('history.current')}`;
    return el('li', {},
      el('button', { type: 'button', class: 'link', dataset: { version: p.version }, onclick: () => show(f) }, `${t('history.version')} ${p.version}`),
      ' ', el('span', { class: 'muted small' }, span));
  }));
}

/** Fills `container` with `location`; `handlers.showGrid(code)` and `handlers.showCamera(code)`
 * highlight things on the map. */
export function renderLocation(container, location, handlers) {
  const [lon, lat] = location.point;
  const region = (hit) => (hit ? [hit.name, ' ', el('code', {}, hit.code)] : t('inspector.none'));
  const cameras = location.cameras.map((camera) =>
    el('li', { class: 'camera' },
      el('button', {
        type: 'button', class: 'link', dataset: { camera: camera.code },
        onclick: () => handlers.showCamera(camera.code),
      }, camera.name || camera.code),
      ' ', el('span', { class: `status status-${camera.status}` }, t(`camera.${camera.status}`)),
      ' ', el('span', { class: 'muted' }, `${t(`camera.${camera.kind}`)} · ${metres(camera.distance_m)}`)));
  const keyAreas = location.key_areas.map((area) =>
    el('li', { class: 'key-area', dataset: { keyArea: area.id } },
      el('strong', {}, area.name), ' ', el('span', { class: 'chip' }, t(`key.${area.category}`)),
      ' ', el('span', { class: area.status === 'overdue' ? 'status status-fault' : 'muted', 'data-testid': 'key-area-status' }, t(`keystatus.${area.status}`)),
      el('dl', { class: 'key-area-facts' },
        el('dt', {}, t('deadline')), el('dd', { 'data-testid': 'key-area-deadline' }, area.deadline),
        el('dt', {}, t('key.listed_date')), el('dd', {}, area.listed_date),
        el('dt', {}, t('key.lead_department')), el('dd', { 'data-testid': 'key-area-lead' }, area.lead_department || t('key.not_recorded')),
        el('dt', {}, t('key.responsible_person')), el('dd', { 'data-testid': 'key-area-responsible' }, area.responsible_person || t('key.not_recorded')))));
  const routes = location.patrol_routes.map((route) =>
    el('li', {}, route.name, ' ', el('span', { class: 'muted' }, `${route.team} · ${metres(route.distance_m)}`)));
  fill(container,
    el('p', { class: 'mono muted' }, `${t('inspector.point')} ${lon.toFixed(6)}, ${lat.toFixed(6)}`),
    el('dl', {},
      el('dt', {}, t('inspector.town')), el('dd', { 'data-testid': 'town' }, region(location.town)),
      el('dt', {}, t('inspector.village')), el('dd', { 'data-testid': 'village' }, region(location.village))),
    location.grid
      ? gridBlock(location.grid, 'inspector.grid', 'grid', handlers)
      : el('p', { class: 'warning', 'data-testid': 'grid' }, t('inspector.no_grid')),
    gridBlock(location.micro_grid, 'inspector.micro_grid', 'micro-grid', handlers),
    section('inspector.cameras', 'cameras', cameras, t('inspector.no_cameras')),
    el('div', { class: 'camera-health', 'data-testid': 'camera-health' }),
    section('inspector.key_areas', 'key-areas', keyAreas),
    section('inspector.routes', 'routes', routes),
  );
}

/** Appends the obstacles drawn under the clicked point (from the obstacle tiles): name, kind and
 * height, which decide what they hide from cameras. */
export function renderObstacles(container, obstacles) {
  if (!obstacles.length) return;
  const items = obstacles.map((o) => el('li', { dataset: { obstacle: o.id } },
    el('strong', {}, o.name || o.id), ' ',
    o.kind ? el('span', { class: 'chip' }, t(`obstacle.${o.kind}`)) : null, ' ',
    el('span', { class: 'muted', 'data-testid': 'obstacle-height' },
      o.height_m === undefined || o.height_m === null ? t('obstacle.unknown_height') : `${t('obstacle.height')} ${metres(Number(o.height_m))}`)));
  container.append(section('obstacle.title', 'obstacles', items));
}

/** A one-line message in the drawer (loading, errors). */
export function renderMessage(container, text, kind = 'muted') {
  container.replaceChildren(el('p', { class: kind }, text));
}
