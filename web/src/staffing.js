// 一格一员: which grids have no worker (a warning list and a red dashed outline on the map), and
// assigning or unassigning workers to a grid (a worker's assignments live on the worker, so a
// change is one PUT of that worker).

import { el, fill } from './dom.js';
import { request } from './http.js';
import { t } from './i18n.js';

/** Refreshes the list of grids without a worker and their outline on the map. */
export async function showUnstaffed(map) {
  const answer = await request('GET', '/api/v1/grids/without-worker');
  if (!answer.ok) return;
  const { grids } = answer.body;
  if (map.getLayer('grid-unstaffed')) {
    map.setFilter('grid-unstaffed', ['in', ['get', 'code'], ['literal', grids.map((g) => g.code)]]);
  }
  const section = document.getElementById('unstaffed');
  fill(section,
    el('h2', {}, `${t('staffing.title')} (`, el('span', { 'data-testid': 'unstaffed-count' }, String(grids.length)), ')'),
    grids.length
      ? el('ul', { class: 'unstaffed' }, grids.slice(0, 50).map((g) => el('li', {},
        el('button', {
          type: 'button', class: 'link',
          onclick: () => map.fitBounds([[g.bbox[0], g.bbox[1]], [g.bbox[2], g.bbox[3]]], { padding: 60, maxZoom: 17 }),
        }, g.name), ' ', el('code', {}, g.code))))
      : el('p', { class: 'ok' }, t('staffing.all_staffed')));
}

async function changeWorker(workerId, change) {
  const current = await request('GET', `/api/v1/workers/${encodeURIComponent(workerId)}`);
  if (!current.ok) return current.error.message;
  const feature = current.body;
  feature.properties.grids = change(feature.properties.grids);
  const saved = await request('PUT', `/api/v1/workers/${encodeURIComponent(workerId)}`, feature);
  return saved.ok ? null : saved.error.message;
}

/** Gives `workerId` the grid `code` with `duty` (or changes the duty); an error text or null. */
export function assign(code, workerId, duty) {
  return changeWorker(workerId, (grids) => [...grids.filter((a) => a.grid !== code), { grid: code, duty }]);
}

/** Takes grid `code` from `workerId`; an error text or null. */
export function unassign(code, workerId) {
  return changeWorker(workerId, (grids) => grids.filter((a) => a.grid !== code));
}
