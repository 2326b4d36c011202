// The legend, drawn from the same palettes as the map style (style.js), so the two cannot drift.

import { language, t } from './i18n.js';
import { el } from './dom.js';
import {
  BLIND_SPOT_COLOUR, CAMERA_STATUS_COLOURS, GRID_KIND_COLOURS, HEAT_RAMP, KEY_AREA_COLOURS, OBSTACLE_COLOUR, OVERDUE_COLOUR,
  PROPOSAL_COLOUR, ROAD_COLOURS, ROUTE_COLOUR, UNSTAFFED_COLOUR, WORKLOAD_STEPS,
} from './style.js';

/** Labels longer than this (in characters of the page's language) take a whole row of the
 * two-column legend. */
const SHORT_LABEL = { 'zh-CN': 7, en: 14 };

function swatch(kind, colour, label, extra = '') {
  const wide = label.length > (SHORT_LABEL[language()] ?? 7);
  return el('li', wide ? { class: 'wide' } : {},
    el('span', { class: `swatch ${kind} ${extra}`, style: `--c:${colour}` }),
    el('span', {}, label));
}

function group(titleKey, items, note) {
  return el('section', {}, el('h4', {}, t(titleKey)), el('ul', {}, items), note ? el('p', { class: 'muted small' }, note) : null);
}

/** Fills `container` with the legend of the layer groups in `shown` (all when not given), for
 * the current language and grid colouring mode: what is not on the map is not explained, so the
 * legend fits without scrolling. */
export function renderLegend(container, gridMode = 'kind', shown = null) {
  const on = (g) => !shown || shown.has(g);
  const grids = gridMode === 'workload'
    ? WORKLOAD_STEPS.map(([from, colour], i) => {
      const to = WORKLOAD_STEPS[i + 1]?.[0];
      return swatch('fill', colour, `${t('households')} ${to === undefined ? `≥ ${from}` : `${from}–${to - 1}`}`);
    })
    : Object.entries(GRID_KIND_COLOURS).map(([kind, colour]) => swatch('fill', colour, t(`kind.${kind}`)));
  grids.push(swatch('line', UNSTAFFED_COLOUR, t('staffing.legend')));
  const cameras = [
    ...(on('cameras') ? [
      ...Object.entries(CAMERA_STATUS_COLOURS).map(([status, colour]) =>
        swatch('dot', colour, t(`camera.${status}`), status === 'online' ? '' : 'dashed')),
      swatch('dot', CAMERA_STATUS_COLOURS.online, t('camera.cluster'), 'cluster'),
    ] : []),
    on('blind-spots') ? swatch('fill', BLIND_SPOT_COLOUR, t('layer.blind-spots')) : null,
    on('obstacles') ? swatch('fill', OBSTACLE_COLOUR, t('layer.obstacles')) : null,
    on('cameras') ? swatch('dot', PROPOSAL_COLOUR, t('placement.legend'), 'dashed') : null,
  ].filter(Boolean);
  const sections = [
    on('roads') ? group('layer.roads', [
      swatch('road', ROAD_COLOURS.primary, t('road.main')),
      swatch('road', '#FFFFFF', t('road.street')),
    ]) : null,
    on('grids') ? group('layer.grids', grids) : null,
    cameras.length ? group('layer.cameras', cameras) : null,
    on('key-areas') ? group('layer.key-areas', [
      ...Object.entries(KEY_AREA_COLOURS).map(([category, colour]) => swatch('hatch', colour, t(`key.${category}`))),
      swatch('hatch', OVERDUE_COLOUR, t('keystatus.overdue'), 'thick'),
    ]) : null,
    on('patrol-routes') ? group('layer.patrol-routes', [swatch('line', ROUTE_COLOUR, t('layer.patrol-routes'))]) : null,
    on('events') ? group('layer.events', [
      el('li', {},
        el('span', { class: 'ramp', style: `background:linear-gradient(90deg,${HEAT_RAMP.slice(1).join(',')})` }),
        el('span', {}, `${t('heat.low')} → ${t('heat.high')}`)),
    ], t('heat.note')) : null,
  ].filter(Boolean);
  container.replaceChildren(...(sections.length ? sections : [el('p', { class: 'muted small' }, t('legend.empty'))]));
}
