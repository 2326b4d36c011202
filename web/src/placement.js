// The camera placement panel (摄像头选点建议): for the grid, micro-grid, village or key area at the
// last inspected point (or one typed by its code), a planner, rectification team or admin chooses how many cameras (k), what
// to cover (area or events), the candidate spacing and the camera kind, and asks
// `POST /api/v1/cameras/placement`. The proposals are drawn as numbered points (pick order) with
// the area each would see, and listed with their marginal gain, the coverage before → after and
// the algorithm's guarantee. Viewers never see the panel (the server would refuse them anyway).
// Server errors (problem+json) are shown in plain words.

import { el, fill } from './dom.js';
import { request } from './http.js';
import { t } from './i18n.js';
import { PROPOSAL_COLOUR } from './style.js';
import { fitBeside } from './view.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
/** Roles the server answers (`PLACEMENT_ROLES` in src/api/placement.rs). */
export const PLACEMENT_ROLES = ['admin', 'planner', 'rectification'];

/** The targets a `/api/v1/locate` answer offers: `[{member, key, label}]`, grid first. */
function targetsOf(location) {
  if (!location) return [];
  const out = [];
  const add = (member, kind, key, name) => out.push({ member, key, label: `${t(`placement.target_${kind}`)} · ${name} (${key})` });
  if (location.grid) add('grid', 'grid', location.grid.code, location.grid.name);
  if (location.micro_grid) add('grid', 'micro_grid', location.micro_grid.code, location.micro_grid.name);
  if (location.village) add('village', 'village', location.village.code, location.village.name);
  for (const area of location.key_areas ?? []) add('key_area', 'key_area', area.id, area.name);
  return out;
}

/** A typed target: a 15-digit grid code, a 12-digit village code, else a key-area id. */
function typedTarget(code) {
  const key = code.trim();
  if (!key) return null;
  const member = /^\d{15}$/.test(key) ? 'grid' : /^\d{12}$/.test(key) ? 'village' : 'key_area';
  return { member, key };
}

const percent = (v) => `${Number(v).toFixed(1)}%`;
const squareMetres = (v) => `${Math.round(v).toLocaleString('en-US')} m²`;

export function setupPlacement(map) {
  const toolbar = document.getElementById('placement-toolbar');
  const panel = document.getElementById('placement-panel');
  let location = null; // the last inspector answer
  let form = { target: 0, code: '', k: 3, weight: 'area', spacing: '', kind: 'fixed' };
  let answer = null; // { ok, status, body } of the last request
  let working = false;
  let seq = 0;

  map.on('load', () => {
    map.addSource('placement', { type: 'geojson', data: EMPTY });
    map.addLayer({
      id: 'placement-sector-fill', type: 'fill', source: 'placement',
      filter: ['==', ['get', 'role'], 'sector'],
      paint: { 'fill-color': PROPOSAL_COLOUR, 'fill-opacity': 0.3 },
    });
    map.addLayer({
      id: 'placement-sector-line', type: 'line', source: 'placement',
      filter: ['==', ['get', 'role'], 'sector'],
      paint: { 'line-color': PROPOSAL_COLOUR, 'line-width': 1.5, 'line-dasharray': [2, 1] },
    });
    map.addLayer({
      id: 'placement-camera', type: 'circle', source: 'placement',
      filter: ['==', ['get', 'role'], 'camera'],
      paint: { 'circle-radius': 10, 'circle-color': PROPOSAL_COLOUR, 'circle-stroke-color': '#000000', 'circle-stroke-width': 1.5 },
    });
    map.addLayer({
      id: 'placement-rank', type: 'symbol', source: 'placement',
      filter: ['==', ['get', 'role'], 'camera'],
      layout: {
        'text-field': ['to-string', ['get', 'rank']],
        'text-font': ['sans-serif'],
        'text-size': 12,
        'text-allow-overlap': true,
        'text-ignore-placement': true,
      },
      paint: { 'text-color': '#000000' },
    });
  });

  const draw = (features) => map.getSource('placement')?.setData({ type: 'FeatureCollection', features });

  const clear = () => {
    seq++;
    answer = null;
    working = false;
    draw([]);
    render();
  };

  const close = () => {
    clear();
    panel.hidden = true;
  };

  const readForm = () => {
    const f = panel.querySelector('form');
    if (!f) return;
    form = {
      target: Number(f.elements.target?.value ?? 0),
      code: f.elements.code.value,
      k: f.elements.k.value,
      weight: f.elements.weight.value,
      spacing: f.elements.spacing.value.trim(),
      kind: f.elements.kind.value,
    };
  };

  const ask = async () => {
    readForm();
    const target = typedTarget(form.code) ?? targetsOf(location)[form.target];
    if (!target) return;
    const body = {
      target: { [target.member]: target.key },
      k: Number(form.k),
      weight: form.weight,
      camera: { kind: form.kind },
    };
    if (form.spacing !== '') body.spacing_m = Number(form.spacing);
    const mine = ++seq;
    working = true;
    answer = null;
    draw([]);
    render();
    const got = await request('POST', '/api/v1/cameras/placement', body);
    if (mine !== seq) return;
    working = false;
    answer = got;
    if (got.ok) {
      const shown = got.body.features.filter((f) => f.geometry);
      draw(shown);
      fitTo(shown);
    }
    render();
  };

  /** Shows every proposal, clear of the panel on the right. */
  const fitTo = (features) => fitBeside(map, features.map((f) => f.geometry), { panel, side: 'right', maxZoom: 18, duration: 0 });

  const result = () => {
    if (working) return el('p', { class: 'muted', 'data-testid': 'placement-working' }, t('placement.working'));
    if (!answer) return null;
    if (!answer.ok) return el('p', { class: 'warning', 'data-testid': 'placement-error' }, answer.error.message);
    const { summary, features } = answer.body;
    const cameras = features.filter((f) => f.properties.role === 'camera');
    // The proven bound: 1 − 1/e for PTZ (or several per site); 1/2 for one fixed camera per site.
    const half = cameras.some((f) => f.properties.kind === 'fixed');
    return el('div', { 'data-testid': 'placement-result' },
      el('p', {},
        `${t('placement.coverage')} `,
        el('strong', { 'data-testid': 'placement-coverage' }, `${percent(summary.covered_before)} → ${percent(summary.covered_after)}`),
        el('span', { class: 'muted' }, ` (${squareMetres(summary.covered_m2_before)} → ${squareMetres(summary.covered_m2_after)} / ${squareMetres(summary.target_m2)})`)),
      cameras.length
        ? el('ol', { class: 'proposals', 'data-testid': 'placement-list' }, cameras.map((f) => {
          const p = f.properties;
          return el('li', { dataset: { rank: p.rank, lon: p.lon, lat: p.lat } },
            el('button', {
              type: 'button', class: 'link',
              onclick: () => map.easeTo({ center: f.geometry.coordinates, zoom: Math.max(map.getZoom(), 17) }),
            }, `${p.lon.toFixed(6)}, ${p.lat.toFixed(6)}`),
            ' ', el('span', { class: 'muted' }, p.kind === 'ptz' ? t('camera.ptz') : `${t('placement.azimuth')} ${Math.round(p.azimuth_deg)}°`),
            el('br'),
            el('span', { 'data-testid': 'placement-gain' }, `${t('placement.gain')} ${percent(p.gain_share)} (${squareMetres(p.gain_m2)})`),
            ' ', el('span', { class: 'muted' }, `→ ${percent(p.covered_after)}`));
        }))
        : el('p', { class: 'warning', 'data-testid': 'placement-none' }, t('placement.none')),
      // Why fewer than asked, and where the sites came from.
      cameras.length && cameras.length < summary.k_asked
        ? el('p', { class: 'warning', 'data-testid': 'placement-fewer' },
          t('placement.fewer').replace('{n}', cameras.length).replace('{k}', summary.k_asked) +
          (summary.sites < summary.k_asked ? t('placement.fewer_sites').replace('{m}', summary.sites) : t('placement.fewer_gain')))
        : null,
      el('p', { class: 'muted small', 'data-testid': 'placement-sites' },
        `${t('placement.sites_from')}${t(`placement.source.${summary.sites_from}`)} · ${t('placement.sites_count').replace('{m}', summary.sites)}`),
      el('p', { class: 'muted small', 'data-testid': 'placement-guarantee', title: summary.algorithm },
        t(half ? 'placement.guarantee_half' : 'placement.guarantee_63')));
  };

  function render() {
    if (panel.hidden) return;
    const targets = targetsOf(location);
    const f = el('form', { class: 'grid-form', 'data-testid': 'placement-form' },
      targets.length
        ? el('label', {}, t('placement.target'), el('select', { name: 'target' },
          targets.map((target, i) => el('option', { value: i, selected: i === form.target }, target.label))))
        : el('p', { class: 'muted', 'data-testid': 'placement-hint' }, t('placement.pick_hint')),
      el('label', {}, t('placement.code'), el('input', { name: 'code', value: form.code, placeholder: t('placement.code_hint'), autocomplete: 'off' })),
      el('label', {}, t('placement.k'), el('input', { name: 'k', type: 'number', min: 1, max: 50, step: 1, required: true, value: form.k })),
      el('label', {}, t('placement.weight'), el('select', { name: 'weight' },
        ['area', 'events'].map((w) => el('option', { value: w, selected: w === form.weight }, t(`placement.weight_${w}`))))),
      el('label', {}, t('placement.spacing'), el('input', { name: 'spacing', type: 'number', min: 0, step: 'any', placeholder: '50', value: form.spacing })),
      el('label', {}, t('placement.kind'), el('select', { name: 'kind' },
        ['fixed', 'ptz'].map((k) => el('option', { value: k, selected: k === form.kind }, t(`camera.${k}`))))),
      el('div', { class: 'actions' },
        el('button', { type: 'submit', class: 'primary', 'data-action': 'placement-ask', disabled: (!targets.length && !typedTarget(form.code)) || working }, t('placement.ask')),
        el('button', { type: 'button', 'data-action': 'placement-clear', onclick: clear }, t('placement.clear')),
        el('button', { type: 'button', 'data-action': 'placement-close', onclick: close }, t('placement.close'))));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      ask();
    });
    f.addEventListener('change', readForm);
    // Typing a code enables the button without waiting for the field to lose focus.
    f.elements.code.addEventListener('input', () => {
      readForm();
      f.querySelector('[data-action=placement-ask]').disabled = (!targets.length && !typedTarget(form.code)) || working;
    });
    fill(panel, el('h3', {}, t('placement.title')), f, result());
  }

  toolbar.querySelector('[data-action=placement]').addEventListener('click', () => {
    panel.hidden = false;
    render();
  });
  // Who is signed in: the planner module announces every sign-in and sign-out.
  document.addEventListener('safegrid:account', (e) => {
    const allowed = PLACEMENT_ROLES.includes(e.detail?.role);
    toolbar.hidden = !allowed;
    if (!allowed) close();
  });

  return {
    /** The inspector looked a point up: its grid, village and key areas become the targets. */
    setLocation(answerOfLocate) {
      const before = targetsOf(location)[form.target];
      location = answerOfLocate;
      const after = targetsOf(location);
      const same = before ? after.findIndex((x) => x.member === before.member && x.key === before.key) : -1;
      form.target = same >= 0 ? same : 0;
      render();
    },
    render,
  };
}
