// Video coverage on the map: the blind-spot layer (the parts of the grids in view that no online
// camera sees, from `GET /api/v1/coverage/blind-spots`), a grid's coverage figures in the
// inspector (`GET /api/v1/coverage/grids/{code}`) and a camera's health
// (`GET /api/v1/cameras/{code}/health`).

import { el, fill } from './dom.js';
import { getJson } from './http.js';
import { t } from './i18n.js';
import { viewBbox } from './view.js';

/** Blind spots are fetched for the view from this zoom on (a few hundred grids at most). */
export const BLIND_SPOT_MIN_ZOOM = 13;
const EMPTY = { type: 'FeatureCollection', features: [] };
const GEOJSON = { accept: 'application/json, application/geo+json' };

/** Keeps the blind-spot source filled for the view while the layer is switched on. */
export function setupBlindSpots(map) {
  let seq = 0;
  const refresh = async () => {
    const source = map.getSource('blind-spots');
    if (!source) return;
    const on = map.getLayer('blind-spot-fill') && map.getLayoutProperty('blind-spot-fill', 'visibility') !== 'none';
    if (!on || map.getZoom() < BLIND_SPOT_MIN_ZOOM) {
      source.setData(EMPTY);
      return;
    }
    const mine = ++seq;
    const bbox = viewBbox(map);
    try {
      const answer = await getJson(`/api/v1/coverage/blind-spots?bbox=${bbox}&limit=500`, GEOJSON);
      if (mine === seq) source.setData(answer);
    } catch {
      if (mine === seq) source.setData(EMPTY);
    }
  };
  map.on('moveend', refresh);
  map.on('load', refresh);
  document.getElementById('layer-switcher').addEventListener('change', () => setTimeout(refresh, 0));
  return refresh;
}

/** Fills `target` with the coverage of grid `code`: seen share, by two or more, offline loss. */
export async function showGridCoverage(target, code) {
  if (!target) return;
  try {
    const answer = await getJson(`/api/v1/coverage/grids/${encodeURIComponent(code)}`, GEOJSON);
    const p = answer.properties;
    fill(target,
      `${t('coverage.seen')} `, el('strong', { 'data-testid': 'grid-coverage-share' }, `${p.share}%`),
      ` · ${t('coverage.two_plus')} ${p.share_2plus}%`,
      p.lost_points > 0 ? el('span', { class: p.lost_points >= 5 ? 'warning' : 'muted' }, ` · ${t('coverage.offline_loss')} ${p.lost_points} ${t('coverage.points')}`) : null);
  } catch {
    fill(target);
  }
}

/** Fills `target` with camera `code`'s health: status since when, availability, grids served. */
export async function showCameraHealth(target, code) {
  if (!target) return;
  try {
    const h = await getJson(`/api/v1/cameras/${encodeURIComponent(code)}/health`, GEOJSON);
    const since = h.since ? h.since.slice(0, 16).replace('T', ' ') : '–';
    const share = h.availability.online_share;
    fill(target,
      el('p', {}, el('strong', {}, h.name || h.code), ' ',
        el('span', { class: `status status-${h.status}` }, t(`camera.${h.status}`)),
        ` ${t('health.since')} ${since}`),
      el('p', { class: 'muted', 'data-testid': 'camera-availability' },
        `${t('health.availability')} ${share === null ? '–' : `${(share * 100).toFixed(1)}%`}` +
        ` · ${t('health.changes')} ${h.history.length}`),
      h.grids.length
        ? el('p', { class: 'muted' }, `${t('health.serves')} ${h.grids.map((g) => `${g.name} ${Math.round(g.share * 100)}%`).join('、')}`)
        : null);
  } catch {
    fill(target);
  }
}
