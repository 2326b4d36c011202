// The grid division assistant (合理划分网格): pick a village/community and a target (a number of
// grids, or households per grid), optionally weight by events; the server proposes compact grids
// of balanced households that follow the community boundary (`POST /api/v1/grids/divide`), and
// this panel previews them on the map with per-grid household counts, balance and compactness.
// The planner may adjust the boundaries (dragging vertices; shared vertices move together), sees
// the evaluation of each adjustment (a dry run of `POST /api/v1/grids/divide/accept`: overlaps,
// gaps, balance, contiguity, staffing), and accepts: the village's grids are replaced in one
// transaction, workers following the grids they served.

import { el, fill } from './dom.js';
import { request } from './http.js';
import { t } from './i18n.js';
import { pickerInput, suggestVillages } from './picker.js';
import { fitBeside } from './view.js';
import { WORKLOAD_STEPS } from './style.js';
import { linkVertices, roundPolygon } from './topology.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

export function setupDivision(map, { currentVillage, planner, refreshLayer, onChanged }) {
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

  // The proposal on screen, and while adjusting the terra-draw ids of its editable grids.
  let current = null;
  let adjusting = null; // { ids: [drawId | undefined per feature], unlink }
  let evalSeq = 0;
  let evalTimer;

  const stopAdjusting = () => {
    if (!adjusting) return;
    adjusting.unlink();
    planner.releaseDrawing();
    adjusting = null;
  };

  const clear = () => {
    stopAdjusting();
    current = null;
    map.getSource('division')?.setData(EMPTY);
    panel.hidden = true;
  };

  /** The grids as they stand: adjusted geometry where edited, with code and name. */
  const currentGrids = () => current.features.map((f, i) => {
    const id = adjusting?.ids[i];
    const edited = id === undefined ? null : planner.drawing().getSnapshotFeature(id);
    return {
      type: 'Feature',
      geometry: edited ? edited.geometry : f.geometry,
      properties: { code: f.properties.code, name: f.properties.name },
    };
  });

  const startAdjusting = () => {
    if (!current || adjusting) return;
    const draw = planner.drawing();
    draw.setMode('select');
    const ids = current.features.map((f) => {
      // Multi-part grids and grids with holes stay as proposed.
      if (f.geometry.type !== 'Polygon' || f.geometry.coordinates.length !== 1) return undefined;
      const [result] = draw.addFeatures([{ type: 'Feature', geometry: roundPolygon(f.geometry), properties: { mode: 'polygon' } }]);
      return result?.valid ? result.id : undefined;
    });
    adjusting = { ids, unlink: linkVertices(draw, ids.filter((id) => id !== undefined)) };
    const onChange = (changed, type) => {
      if (type === 'update' && adjusting && changed.some((id) => adjusting.ids.includes(id))) {
        clearTimeout(evalTimer);
        evalTimer = setTimeout(evaluate, 300);
      }
    };
    draw.on('change', onChange);
    const unlink = adjusting.unlink;
    adjusting.unlink = () => {
      unlink();
      draw.off('change', onChange);
    };
    evaluate();
  };

  /** A dry run of accepting the grids as they stand: the evaluation panel and fresh counts. */
  const evaluate = async () => {
    const mine = ++evalSeq;
    const answer = await request('POST', '/api/v1/grids/divide/accept?dry_run=true',
      { village: current.village.code, grids: currentGrids() });
    if (mine !== evalSeq || !current) return;
    if (!answer.ok) {
      render({ proposal: current, message: answer.error.message, kind: 'warning' });
      return;
    }
    map.getSource('division')?.setData({ type: 'FeatureCollection', features: answer.body.features });
    render({ proposal: current, evaluation: answer.body });
  };

  const accept = async () => {
    const answer = await request('POST', '/api/v1/grids/divide/accept',
      { village: current.village.code, grids: currentGrids() });
    if (!answer.ok) {
      render({ proposal: current, message: answer.error.message, kind: 'warning' });
      return;
    }
    const report = answer.body;
    clear();
    await refreshLayer('grids');
    onChanged?.();
    panel.hidden = false;
    fill(panel, el('p', { class: 'ok', 'data-testid': 'division-message' },
      `${t('division.accepted')}: ${report.features.length} ${t('division.grids')}` +
      (report.retired.length ? ` · ${t('division.retires')} ${report.retired.length}` : '') +
      (report.unstaffed.length ? ` · ${report.unstaffed.length} ${t('division.unstaffed')}` : '')));
  };

  const render = ({ proposal, evaluation, message, kind = 'muted' } = {}) => {
    panel.hidden = false;
    const village = currentVillage();
    const picked = panel.dataset.village ?? (village ? `${village.name} · ${village.code}` : '');
    const villageInput = pickerInput({
      name: 'village', value: picked, placeholder: t('division.village_pick'), label: t('division.village'),
      suggest: suggestVillages, isKey: (text) => /^\d{12}$/.test(text),
    });
    villageInput.input.required = true;
    const form = el('form', { class: 'grid-form', 'data-testid': 'division-form' },
      el('label', {}, t('division.village'), villageInput.input, villageInput.list),
      el('label', {}, t('division.target'), el('select', { name: 'target' },
        el('option', { value: 'households_per_grid' }, t('division.by_households')),
        el('option', { value: 'grids' }, t('division.by_count')))),
      el('label', {}, t('division.value'), el('input', { name: 'value', type: 'number', min: 1, required: true, value: panel.dataset.value ?? '300' })),
      el('label', {}, t('division.event_weight'), el('input', { name: 'event_weight', type: 'number', min: 0, step: 0.1, value: panel.dataset.eventWeight ?? '0' })),
      el('div', { class: 'actions' },
        el('button', { type: 'submit', 'data-action': 'propose' }, t('division.propose')),
        el('button', { type: 'button', onclick: clear }, t('planner.cancel'))));
    const counts = evaluation
      ? new Map(evaluation.features.map((f) => [f.properties.code, f.properties.households]))
      : null;
    const tick = (ok, label, detail = '') => el('li', { class: ok ? 'ok' : 'warning', 'data-check': label },
      `${ok ? '✓' : '✗'} ${t(`division.${label}`)}${detail ? ` ${detail}` : ''}`);
    const checks = evaluation ? el('ul', { class: 'checks', 'data-testid': 'division-checks' },
      tick(evaluation.checks.no_overlap, 'no_overlap'),
      tick(evaluation.checks.no_gap, 'no_gap', evaluation.gaps.length ? `(${evaluation.gaps.length})` : ''),
      tick((evaluation.summary.max_over_min ?? Infinity) <= 1.5, 'balanced',
        `${evaluation.summary.min_households} – ${evaluation.summary.max_households}`),
      tick(evaluation.checks.contiguous, 'contiguous'),
      tick(evaluation.checks.staffed, 'staffed', evaluation.unstaffed.length ? `(${evaluation.unstaffed.length} ${t('division.unstaffed')})` : ''),
      evaluation.retired.length ? el('li', { class: 'muted' }, `${t('division.retires')}: ${evaluation.retired.join('、')}`) : null) : null;
    if (panel.dataset.target) form.elements.target.value = panel.dataset.target;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      Object.assign(panel.dataset, {
        village: form.elements.village.value.trim(),
        villageCode: villageInput.keyOf() ?? '',
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
      evaluation ? el('h4', {}, t('division.evaluation')) : null,
      checks,
      adjusting ? el('p', { class: 'muted small' }, t('division.adjust_hint')) : null,
      proposal ? el('div', { class: 'actions' },
        adjusting ? null : el('button', { type: 'button', 'data-action': 'adjust', onclick: startAdjusting }, t('division.adjust')),
        el('button', { type: 'button', 'data-action': 'accept', class: 'primary', onclick: accept }, t('division.accept'))) : null,
      // Every proposed grid's figures, folded: a community of a hundred grids would push the
      // panel far past the screen.
      proposal ? el('details', { class: 'small' },
        el('summary', {}, `${t('division.each_grid')} (${proposal.features.length})`),
        el('ol', { 'data-testid': 'division-grids' }, proposal.features.map((f) =>
          el('li', {}, el('code', {}, f.properties.code),
            ` ${counts?.get(f.properties.code) ?? f.properties.households} ${t('division.households_short')} · ${t('division.compactness')} ${f.properties.compactness}`)))) : null,
      // The server's account of the method is English, for the record: a tooltip, not text.
      summary ? el('p', { class: 'muted small', title: summary.algorithm, 'data-testid': 'division-method' }, t('division.method')) : null,
    );
  };

  const propose = async () => {
    const d = panel.dataset;
    if (!d.villageCode) {
      render({ message: t('division.pick_village'), kind: 'warning' });
      return;
    }
    const body = { village: d.villageCode, [d.target]: Number(d.value) };
    if (Number(d.eventWeight) > 0) body.event_weight = Number(d.eventWeight);
    stopAdjusting();
    current = null;
    render({ message: t('inspector.loading') });
    const answer = await request('POST', '/api/v1/grids/divide', body);
    if (!answer.ok) {
      map.getSource('division')?.setData(EMPTY);
      render({ message: answer.error.message, kind: 'warning' });
      return;
    }
    const proposal = answer.body;
    map.getSource('division')?.setData({ type: 'FeatureCollection', features: proposal.features });
    // The whole proposal in the part of the map the panel leaves free.
    fitBeside(map, proposal.features.map((f) => f.geometry), { panel, side: 'right' });
    current = proposal;
    render({ proposal });
    evaluate();
  };

  button.addEventListener('click', () => {
    delete panel.dataset.village;
    delete panel.dataset.villageCode;
    clear();
    render();
  });
}
