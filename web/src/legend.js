// The legend, drawn from the same palettes as the map style (style.js), so the two cannot drift.

import { t } from './i18n.js';
import { el } from './dom.js';
import {
  BLIND_SPOT_COLOUR, CAMERA_STATUS_COLOURS, GRID_KIND_COLOURS, HEAT_RAMP, KEY_AREA_COLOURS, OBSTACLE_COLOUR, OVERDUE_COLOUR,
  PROPOSAL_COLOUR, ROUTE_COLOUR, UNSTAFFED_COLOUR, WORKLOAD_STEPS,
} from './style.js';

function swatch(kind, colour, label, extra = '') {
  return el('li', {},
    el('span', { class: `swatch ${kind} ${extra}`, style: `--c:${colour}` }),
    el('span', {}, label));
}

function group(titleKey, items, note) {
  return el('section', {}, el('h4', {}, t(titleKey)), el('ul', {}, items), note ? el('p', { class: 'muted small' }, note) : null);
}

/** Fills `container` with the legend for the current language and grid colouring mode. */
export function renderLegend(container, gridMode = 'kind') {
  const grids = gridMode === 'workload'
    ? WORKLOAD_STEPS.map(([from, colour], i) => {
      const to = WORKLOAD_STEPS[i + 1]?.[0];
      return swatch('fill', colour, `${t('households')} ${to === undefined ? `≥ ${from}` : `${from}–${to - 1}`}`);
    })
    : Object.entries(GRID_KIND_COLOURS).map(([kind, colour]) => swatch('fill', colour, t(`kind.${kind}`)));
  grids.push(swatch('line', UNSTAFFED_COLOUR, t('staffing.legend')));
  container.replaceChildren(
    group('layer.grids', grids),
    group('layer.cameras',
      [...Object.entries(CAMERA_STATUS_COLOURS).map(([status, colour]) =>
        swatch('dot', colour, t(`camera.${status}`), status === 'online' ? '' : 'dashed')),
      swatch('dot', CAMERA_STATUS_COLOURS.online, t('camera.cluster'), 'cluster'),
      swatch('fill', BLIND_SPOT_COLOUR, t('layer.blind-spots')),
      swatch('fill', OBSTACLE_COLOUR, t('layer.obstacles')),
      swatch('dot', PROPOSAL_COLOUR, t('placement.legend'), 'dashed')],
      t('camera.sector_note')),
    group('layer.key-areas', [
      ...Object.entries(KEY_AREA_COLOURS).map(([category, colour]) => swatch('hatch', colour, t(`key.${category}`))),
      swatch('hatch', OVERDUE_COLOUR, t('keystatus.overdue'), 'thick'),
    ]),
    group('layer.patrol-routes', [swatch('line', ROUTE_COLOUR, t('layer.patrol-routes'))]),
    group('layer.events', [
      el('li', {},
        el('span', { class: 'ramp', style: `background:linear-gradient(90deg,${HEAT_RAMP.slice(1).join(',')})` }),
        el('span', {}, `${t('heat.low')} → ${t('heat.high')}`)),
    ], t('heat.note')),
  );
}
