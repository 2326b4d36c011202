// The grid division assistant (合理划分网格): pick a village/community and a target (a number of
// grids, or households per grid), optionally weight by events; the server proposes compact grids
// of balanced households that follow the community boundary (`POST /api/v1/grids/divide`), and
// this panel previews them on the map with per-grid household counts, balance and compactness.

import { t } from './i18n.js';
import { el, fill } from './inspector.js';
import { authed, plainError } from './planner.js';
import { WORKLOAD_STEPS } from './style.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

export function setupDivision(map, { currentVillage }) {
  const panel = document.getElementById('division-panel');
  const button = document.querySelector('#planner-toolbar [data-action=divide]');

  map.on('load', () => {
    map.addSource('division', { type: 'geojson', data: EMPTY });
    map.addLayer({
      id: 'division-fill', type: 'fill', source: 'division',
      paint: {
        'fill-color': ['step', ['get', 'households'], WORKLOAD_STEPS[0][1], ...WORKLOAD_STEPS.slice(1).flat()],
        'fill-opacity': 0.55,
      },
    });
    map.addLayer({
      id: 'division-line', type: 'line', source: 'division',
      paint: { 'line-color': '#1B2A38', 'line-width': 2 },
    });
    map.addLayer({
      id: 'division-label', type: 'symbol', source: 'division',
      layout: {
        'text-field': ['format', ['get', 'code'], { 'font-scale': 0.8 }, '\n', {}, ['concat', ['to-string', ['get', 'households']], ' ', t('division.households_short')], {}],
        'text-font': ['sans-serif'],
        'text-size': 12,
      },
      paint: { 'text-color': '#1B2A38', 'text-halo-color': '#FFFFFF', 'text-halo-width': 1.5 },
    });
  });

  const clear = () => {
    map.getSource('division')?.setData(EMPTY);
    panel.hidden = true;
  };

  const render = ({ proposal, message, kind = 'muted' } = {}) => {
    panel.hidden = false;
    const village = currentVillage();
    const form = el('form', { class: 'grid-form', 'data-testid': 'division-form' },
      el('label', {}, t('division.village'), el('input', { name: 'village', required: true, pattern: '[0-9]{12}', value: panel.dataset.village ?? village?.code ?? '' })),
      el('label', {}, t('division.target'), el('select', { name: 'target' },
        el('option', { value: 'households_per_grid' }, t('division.by_households')),
        el('option', { value: 'grids' }, t('division.by_count')))),
      el('label', {}, t('division.value'), el('input', { name: 'value', type: 'number', min: 1, required: true, value: panel.dataset.value ?? '300' })),
      el('label', {}, t('division.event_weight'), el('input', { name: 'event_weight', type: 'number', min: 0, step: 0.1, value: panel.dataset.eventWeight ?? '0' })),
      el('div', { class: 'actions' },
        el('button', { type: 'submit', 'data-action': 'propose' }, t('division.propose')),
        el('button', { type: 'button', onclick: clear }, t('planner.cancel'))));
    if (panel.dataset.target) form.elements.target.value = panel.dataset.target;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      Object.assign(panel.dataset, {
        village: form.elements.village.value.trim(),
        target: form.elements.target.value,
        value: form.elements.value.value,
        eventWeight: form.elements.event_weight.value,
      });
      await propose();
    });
    const summary = proposal ? proposal.summary : null;
    fill(panel,
      el('h3', {}, t('division.title')),
      form,
      message ? el('p', { class: kind, 'data-testid': 'division-message' }, message) : null,
      summary ? el('dl', { 'data-testid': 'division-summary' },
        el('dt', {}, t('division.village')), el('dd', {}, `${proposal.village.name} ${proposal.village.code}`),
        el('dt', {}, t('division.grids')), el('dd', { 'data-testid': 'division-count' }, String(summary.grids)),
        el('dt', {}, t('division.households')), el('dd', {}, String(summary.households)),
        el('dt', {}, t('division.range')), el('dd', {}, `${summary.min_households} – ${summary.max_households}`),
        el('dt', {}, t('division.balance')), el('dd', {}, `${summary.balance.max_over_min ?? '–'} (${t('division.max_over_mean')} ${summary.balance.max_over_mean ?? '–'})`),
        el('dt', {}, t('division.compactness')), el('dd', {}, String(summary.mean_compactness))) : null,
      proposal ? el('ol', { class: 'small', 'data-testid': 'division-grids' }, proposal.features.map((f) =>
        el('li', {}, el('code', {}, f.properties.code), ` ${f.properties.households} ${t('division.households_short')} · ${t('division.compactness')} ${f.properties.compactness}`))) : null,
      summary ? el('p', { class: 'muted small' }, summary.algorithm) : null,
    );
  };

  const propose = async () => {
    const d = panel.dataset;
    const body = { village: d.village, [d.target]: Number(d.value) };
    if (Number(d.eventWeight) > 0) body.event_weight = Number(d.eventWeight);
    render({ message: t('inspector.loading') });
    const answer = await authed('POST', '/api/v1/grids/divide', body);
    if (!answer.ok) {
      map.getSource('division')?.setData(EMPTY);
      render({ message: plainError(answer.status, answer.body), kind: 'warning' });
      return;
    }
    const proposal = answer.body;
    map.getSource('division')?.setData({ type: 'FeatureCollection', features: proposal.features });
    const bounds = proposal.features.flatMap((f) =>
      (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates.flat()).flat());
    const xs = bounds.map((c) => c[0]);
    const ys = bounds.map((c) => c[1]);
    map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 60 });
    render({ proposal });
  };

  button.addEventListener('click', () => {
    delete panel.dataset.village;
    render();
  });
}
