// Planner mode: sign in with a token, draw a new grid or move the vertices of an existing one
// (snapping to neighbouring grids' vertices and edges), see the server's check (overlaps with
// siblings, gaps left in the community, invalid rings) on the map before saving, undo, and save
// (every save is a new grid version). Server errors (problem+json) are shown in plain words.

import {
  TerraDraw, TerraDrawLineStringMode, TerraDrawModeUndoRedo, TerraDrawPolygonMode, TerraDrawSelectMode,
  ValidateNotSelfIntersecting,
} from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { el, fill } from './dom.js';
import { clearToken, getToken, request, setToken } from './http.js';
import { t } from './i18n.js';
import { fieldName, wordProblem } from './problems.js';
import { hatchImage } from './style.js';
import { roundPolygon } from './topology.js';
import { fitBeside, viewBbox } from './view.js';

const SNAP_PX = 12;
/** A change that adds less gap than this (rounding, a snapped vertex) does not ask. */
const GAP_TOLERANCE_M2 = 1;
const EMPTY = { type: 'FeatureCollection', features: [] };
const ISSUE_COLOURS = { overlap: '#D55E00', gap: '#CC79A7', invalid: '#000000', carried: '#0072B2' };

/** Snaps a pointer to the nearest vertex, else the nearest edge, of the loaded neighbour grids. */
function makeSnapper(map, neighbours) {
  return (event) => {
    const p = map.project([event.lng, event.lat]);
    let best = null;
    let bestD = SNAP_PX;
    for (const ring of neighbours.rings) {
      for (let i = 0; i < ring.length - 1; i++) {
        const a = map.project(ring[i]);
        const d = Math.hypot(a.x - p.x, a.y - p.y);
        if (d < bestD) {
          bestD = d;
          best = ring[i];
        }
      }
    }
    if (best) return best;
    bestD = SNAP_PX * 0.75;
    for (const ring of neighbours.rings) {
      for (let i = 0; i < ring.length - 1; i++) {
        const a = map.project(ring[i]);
        const b = map.project(ring[i + 1]);
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len2 = dx * dx + dy * dy;
        if (len2 === 0) continue;
        const k = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
        const d = Math.hypot(a.x + k * dx - p.x, a.y + k * dy - p.y);
        if (d < bestD) {
          bestD = d;
          const [x0, y0] = ring[i];
          const [x1, y1] = ring[i + 1];
          best = [x0 + k * (x1 - x0), y0 + k * (y1 - y0)];
        }
      }
    }
    return best ?? undefined;
  };
}

/** Whether the check refused the boundary itself (an invalid ring), not its neighbourhood. */
function invalidRing(report) {
  return !report.valid && !report.overlaps.length && (report.errors ?? []).some((e) => e.field === 'geometry');
}

export function setupPlanner(map, { refreshLayer, onChanged }) {
  const account = document.getElementById('account');
  const dialog = document.getElementById('login-dialog');
  const toolbar = document.getElementById('planner-toolbar');
  const panel = document.getElementById('planner-panel');
  const neighbours = { rings: [], except: null };
  let draw = null;
  let session = null; // { id, replaces: code|null, original: properties|null }
  let checkSeq = 0;

  map.on('styleimagemissing', (e) => {
    if (e.id === 'hatch-overlap') map.addImage(e.id, hatchImage(ISSUE_COLOURS.overlap, 10));
    if (e.id === 'hatch-gap') map.addImage(e.id, hatchImage(ISSUE_COLOURS.gap, 10));
  });
  map.on('load', () => {
    map.addSource('edit-issues', { type: 'geojson', data: EMPTY });
    map.addLayer({
      id: 'edit-issue-fill', type: 'fill', source: 'edit-issues',
      filter: ['in', ['get', 'kind'], ['literal', ['overlap', 'gap']]],
      paint: { 'fill-pattern': ['match', ['get', 'kind'], 'overlap', 'hatch-overlap', 'hatch-gap'] },
    });
    map.addLayer({
      id: 'edit-issue-line', type: 'line', source: 'edit-issues',
      filter: ['!=', ['get', 'kind'], 'carried'],
      paint: { 'line-color': ['match', ['get', 'kind'], 'overlap', ISSUE_COLOURS.overlap, 'gap', ISSUE_COLOURS.gap, ISSUE_COLOURS.invalid], 'line-width': 2 },
    });
    // Neighbours that a reshape carries along (topological editing), as they would become.
    map.addLayer({
      id: 'edit-carried-line', type: 'line', source: 'edit-issues',
      filter: ['==', ['get', 'kind'], 'carried'],
      paint: { 'line-color': ISSUE_COLOURS.carried, 'line-width': 2, 'line-dasharray': [2, 1.5] },
    });
    // The grid picked to merge with: the selection's yellow under a thick outline.
    map.addLayer({
      id: 'edit-merge-fill', type: 'fill', source: 'edit-issues',
      filter: ['==', ['get', 'kind'], 'merge'],
      paint: { 'fill-color': '#F0E442', 'fill-opacity': 0.35 },
    });
  });

  const setIssues = (features) => map.getSource('edit-issues')?.setData({ type: 'FeatureCollection', features });

  // --- sign in -------------------------------------------------------------------------------
  const renderAccount = (me) => {
    // Other panels (placement advice) follow who is signed in.
    document.dispatchEvent(new CustomEvent('safegrid:account', { detail: me }));
    if (!me) {
      account.replaceChildren(el('button', { type: 'button', id: 'login-open', onclick: () => dialog.showModal() }, t('login.open')));
      toolbar.hidden = true;
      return;
    }
    account.replaceChildren(
      el('span', { class: 'who', 'data-testid': 'who' }, `${me.name} · ${t(`roles.${me.role}`)}`),
      el('button', { type: 'button', onclick: logout }, t('login.logout')));
    toolbar.hidden = !me.writes.includes('grids');
  };
  const logout = () => {
    clearToken();
    cancel();
    renderAccount(null);
  };
  const login = async (token) => {
    setToken(token);
    const answer = await request('GET', '/api/v1/me');
    if (!answer.ok) {
      clearToken();
      return answer.error.message;
    }
    renderAccount(answer.body);
    return null;
  };
  dialog.querySelector('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = dialog.querySelector('input');
    const message = dialog.querySelector('.message');
    const error = await login(input.value.trim());
    if (error) {
      message.textContent = error;
      return;
    }
    input.value = '';
    message.textContent = '';
    dialog.close();
  });
  dialog.querySelector('[data-action=cancel]').addEventListener('click', () => dialog.close());
  const saved = getToken();
  if (saved) login(saved).then((error) => { if (error) renderAccount(null); });
  else renderAccount(null);

  // --- drawing -------------------------------------------------------------------------------
  /** terra-draw's self-intersection check, which also says so when it refuses a click or a
   * drag (边界自相交) instead of dropping it silently. */
  const notSelfCrossing = (feature) => {
    const result = ValidateNotSelfIntersecting(feature);
    if (!result.valid) showHint(t('planner.self_crossing'));
    return result;
  };
  /** A short note in the panel that the next check or action replaces. */
  const showHint = (text) => {
    let hint = panel.querySelector('[data-testid=planner-hint]');
    if (!hint) {
      hint = el('p', { class: 'warning', 'data-testid': 'planner-hint', role: 'alert' });
      panel.querySelector('h3')?.after(hint) ?? panel.prepend(hint);
    }
    hint.textContent = text;
    panel.hidden = false;
  };

  const ensureDraw = () => {
    if (draw) return draw;
    const snapping = { toCustom: makeSnapper(map, neighbours) };
    draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map }),
      modes: [
        new TerraDrawPolygonMode({
          snapping,
          pointerDistance: 20,
          validation: (feature, { updateType }) =>
            (updateType === 'finish' || updateType === 'commit' ? notSelfCrossing(feature) : { valid: true }),
        }),
        // The cut line of a split: two clicks, one on each side of the grid.
        new TerraDrawLineStringMode({ finishOnNthCoordinate: 2 }),
        new TerraDrawSelectMode({
          keyEvents: { deselect: 'Escape', delete: null, rotate: null, scale: null },
          flags: {
            polygon: {
              feature: {
                draggable: false,
                validation: (feature) => notSelfCrossing(feature),
                coordinates: { midpoints: true, draggable: true, deletable: true, snappable: snapping },
              },
            },
          },
        }),
      ],
      // Undo takes back a clicked point while drawing; without this terra-draw keeps no history.
      // Changes to a finished ring are taken back from `ringHistory`.
      undoRedo: { modeLevel: new TerraDrawModeUndoRedo() },
    });
    draw.start();
    window.safegridDraw = draw; // for the browser tests and the console
    draw.on('finish', (id) => {
      if (session?.kind === 'lent') return; // the drawing belongs to another tool for now
      if (session?.kind === 'split') {
        session.id = id;
        renderSplit();
        return;
      }
      if (session?.id === id && draw.getMode() === 'select') {
        rememberRing(); // a vertex moved, added or removed: the change handler checks it
        return;
      }
      if (!session) session = { id, replaces: null, original: null };
      session.id = id;
      draw.setMode('select');
      draw.selectFeature(id);
      ringHistory = [];
      rememberRing();
      check();
    });
    draw.on('change', (ids, type) => {
      if (session && type === 'update' && ids.includes(session.id) && draw.getMode() === 'select') {
        session.changedRing = true;
        scheduleCheck();
      }
    });
    return draw;
  };

  // The finished ring after each change (drawn or loaded first), for undo.
  let ringHistory = [];
  const rememberRing = () => {
    const geometry = draw?.getSnapshotFeature(session?.id)?.geometry;
    if (geometry) ringHistory.push(structuredClone(geometry));
  };

  let checkTimer;
  const scheduleCheck = () => {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, 300);
  };

  /** Loads the grids around the view (or around `rect`) as snapping targets. */
  const loadNeighbours = async (except) => {
    const bbox = viewBbox(map);
    const answer = await request('GET', `/api/v1/grids?bbox=${bbox}&limit=2000`);
    neighbours.except = except;
    neighbours.rings = answer.ok
      ? answer.body.features
        .filter((f) => f.properties.code !== except)
        .flatMap((f) => (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates))
        .flat()
      : [];
  };

  const startNew = async () => {
    cancel();
    await loadNeighbours(null);
    ensureDraw().setMode('polygon');
    session = { id: null, replaces: null, original: null };
    renderPanel({ message: t('planner.drawing_hint') });
  };

  const startEdit = async (code) => {
    const answer = await request('GET', `/api/v1/grids/${encodeURIComponent(code)}`);
    if (!answer.ok) {
      renderPanel({ message: answer.error.message, kind: 'warning' });
      return;
    }
    cancel();
    await loadNeighbours(code);
    const d = ensureDraw();
    // terra-draw keeps 9 decimals (0.1 mm) and refuses features with more.
    const geometry = roundPolygon(answer.body.geometry.type === 'MultiPolygon'
      ? { type: 'Polygon', coordinates: answer.body.geometry.coordinates[0] }
      : answer.body.geometry);
    d.setMode('select');
    const [result] = d.addFeatures([{ type: 'Feature', geometry, properties: { mode: 'polygon' } }]);
    if (!result?.valid) {
      renderPanel({ message: result?.reason ?? t('planner.cannot_edit'), kind: 'warning' });
      return;
    }
    session = { id: result.id, replaces: code, original: answer.body.properties };
    d.selectFeature(result.id);
    ringHistory = [];
    rememberRing();
    await check();
    // Once the panel is open: the grid in the part of the map it leaves free.
    fitBeside(map, [geometry], { panel, side: 'left', duration: 0 });
  };

  // --- split and merge -------------------------------------------------------------------------
  const startSplit = (code) => {
    cancel();
    ensureDraw().setMode('linestring');
    session = { kind: 'split', target: code, id: null };
    fill(panel, el('h3', {}, `${t('planner.split')} ${code}`), el('p', { class: 'muted' }, t('planner.split_hint')),
      el('div', { class: 'actions' }, el('button', { type: 'button', onclick: cancel }, t('planner.cancel'))));
    panel.hidden = false;
  };

  const renderSplit = (message, kind = 'warning') => {
    fill(panel,
      el('h3', {}, `${t('planner.split')} ${session.target}`),
      message ? el('p', { class: kind, 'data-testid': 'planner-message' }, message) : null,
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'confirm-split', onclick: confirmSplit }, t('planner.confirm')),
        el('button', { type: 'button', onclick: cancel }, t('planner.cancel'))));
  };

  const confirmSplit = async () => {
    const line = draw.getSnapshotFeature(session.id)?.geometry;
    const answer = await request('POST', `/api/v1/grids/${encodeURIComponent(session.target)}/split`, { line });
    if (!answer.ok) {
      renderSplit(answer.error.message);
      return;
    }
    const codes = answer.body.features.map((f) => f.properties.code);
    cancel();
    await refreshLayer('grids');
    done(`${t('planner.split_done')} ${codes.join('、')}`);
  };

  const startMerge = (code) => {
    cancel();
    session = { kind: 'merge', keep: code, with: null };
    renderMerge();
  };

  const renderMerge = (message, kind = 'warning') => {
    panel.hidden = false;
    fill(panel,
      el('h3', {}, `${t('planner.merge')} ${session.keep}`),
      session.with
        ? el('p', { 'data-testid': 'merge-pair' }, `${session.keep} + ${session.with} → ${session.keep}`)
        : el('p', { class: 'muted' }, t('planner.merge_hint')),
      message ? el('p', { class: kind, 'data-testid': 'planner-message' }, message) : null,
      el('div', { class: 'actions' },
        session.with ? el('button', { type: 'button', 'data-action': 'confirm-merge', onclick: confirmMerge }, t('planner.confirm')) : null,
        el('button', { type: 'button', onclick: cancel }, t('planner.cancel'))));
  };

  const confirmMerge = async () => {
    const answer = await request('POST', '/api/v1/grids/merge', { codes: [session.keep, session.with], keep: session.keep });
    if (!answer.ok) {
      renderMerge(answer.error.message);
      return;
    }
    const kept = session.keep;
    cancel();
    await refreshLayer('grids');
    done(`${t('planner.merge_done')} ${kept}`);
  };

  /** A map click while merging picks the neighbour; true when the click was used. */
  const pickAt = async (lngLat) => {
    if (session?.kind !== 'merge') return false;
    const where = await request('GET', `/api/v1/locate?lon=${lngLat.lng}&lat=${lngLat.lat}`);
    const code = where.ok ? where.body.grid?.code : null;
    if (code && code !== session.keep) {
      session.with = code;
      // The grid picked to merge with is outlined on the map.
      const picked = await request('GET', `/api/v1/grids/${encodeURIComponent(code)}`);
      if (picked.ok && session?.kind === 'merge' && session.with === code) {
        setIssues([{ type: 'Feature', properties: { kind: 'merge', grid: code }, geometry: picked.body.geometry }]);
      }
    }
    renderMerge();
    return true;
  };

  /** A closing message after an operation finished. */
  const done = (message) => {
    onChanged?.();
    panel.hidden = false;
    fill(panel, el('p', { class: 'ok', 'data-testid': 'planner-message' }, message));
  };

  const currentFeature = () => {
    if (!draw || !session?.id) return null;
    const f = draw.getSnapshotFeature(session.id);
    if (!f) return null;
    const form = panel.querySelector('form');
    // Before the form is on screen, the grid's own values (editing) or the suggestion (new).
    const initial = session.original ?? session.suggested ?? {};
    const properties = {
      ...(session.original ?? { households: 0, population: 0 }),
      code: form ? form.elements.code.value.trim() : initial.code,
      name: form ? form.elements.name.value.trim() : initial.name,
      kind: form ? form.elements.kind.value : (initial.kind ?? 'residential'),
    };
    return { type: 'Feature', geometry: f.geometry, properties };
  };

  /** Asks the server what saving would do, and draws it. */
  const check = async () => {
    const mine = ++checkSeq;
    if (!session) return;
    // Every check waits for the one preparation (code and name suggestion) of this drawing.
    session.ready ??= prepareForm();
    await session.ready;
    const feature = currentFeature();
    if (!feature) return;
    // An edit is checked as the reshape that saves it: shared vertices carried to neighbours.
    const body = session.replaces ? { ...feature, replaces: session.replaces, carry_shared: true } : feature;
    const answer = await request('POST', '/api/v1/grids/check', body);
    if (mine !== checkSeq) return;
    if (!answer.ok) {
      setIssues([]);
      renderPanel({ message: answer.error.message, kind: 'warning' });
      return;
    }
    const report = answer.body;
    setIssues([
      ...report.overlaps.map((o) => ({ type: 'Feature', properties: { kind: 'overlap', grid: o.grid }, geometry: o.geometry })),
      ...report.gaps.map((g) => ({ type: 'Feature', properties: { kind: 'gap' }, geometry: g.geometry })),
      ...(invalidRing(report) ? [{ type: 'Feature', properties: { kind: 'invalid' }, geometry: feature.geometry }] : []),
      ...(report.carried ?? []).map((c) => ({ type: 'Feature', properties: { kind: 'carried', grid: c.grid }, geometry: c.geometry })),
    ].filter((f) => f.geometry));
    session.clipped = report.clipped ?? null;
    // A change to a finished ring that leaves (more) gap in the community than the ring the
    // planner last settled on asks first; the question stays until answered, however many
    // checks a drag sets off meanwhile (one mid-drag and one at its end, on a busy machine).
    const gapArea = (r) => r.gaps.reduce((sum, g) => sum + g.area_m2, 0);
    if (session.changedRing && session.settled && gapArea(report) > gapArea(session.settled) + GAP_TOLERANCE_M2) {
      session.askGap = true;
    }
    if (!session.askGap) session.settled = report;
    session.changedRing = false;
    session.report = report;
    renderPanel({ report });
  };

  /** Fills code (next free serial in the village under the drawing) and a name for new grids. */
  const prepareForm = async () => {
    if (!session || session.original) return;
    const f = draw.getSnapshotFeature(session.id);
    const ring = f.geometry.coordinates[0];
    const lon = ring.slice(0, -1).reduce((s, c) => s + c[0], 0) / (ring.length - 1);
    const lat = ring.slice(0, -1).reduce((s, c) => s + c[1], 0) / (ring.length - 1);
    const where = await request('GET', `/api/v1/locate?lon=${lon}&lat=${lat}`);
    const village = where.ok ? where.body.village : null;
    session.village = village;
    if (village) {
      const next = await request('GET', `/api/v1/grids/next-code?village=${village.code}`);
      if (next.ok) session.suggested = { code: next.body.code, name: next.body.name };
    }
  };

  const save = async () => {
    const feature = currentFeature();
    if (!feature) return;
    // An edit is saved as a reshape: vertex edits on shared boundaries move the neighbours too.
    const answer = session.replaces
      ? await request('POST', `/api/v1/grids/${encodeURIComponent(session.replaces)}/reshape`, feature)
      : await request('POST', '/api/v1/grids', feature);
    if (!answer.ok) {
      renderPanel({ message: answer.error.message, kind: 'warning', keepForm: true });
      return;
    }
    const saved = answer.body.type === 'FeatureCollection' ? answer.body.features : [answer.body];
    const code = saved[0].properties.code;
    const gaps = answer.body.gaps ?? [];
    // The gaps the save left stay marked until the next tool starts: as the last check drew
    // them (a write report gives their sizes, the check their shapes).
    const marked = gaps.length ? (session.report?.gaps ?? []).filter((g) => g.geometry) : [];
    cancel();
    setIssues(marked.map((g) => ({ type: 'Feature', properties: { kind: 'gap' }, geometry: g.geometry })));
    await refreshLayer('grids');
    done(`${t('planner.saved')} ${code}` +
      (saved.length > 1 ? ` · ${t('planner.carried_done')} ${saved.slice(1).map((f) => f.properties.code).join('、')}` : '') +
      (gaps.length ? ` · ${t('planner.gaps_left')} ${gaps.length}` : ''));
  };

  /** Avoid overlap: the drawing becomes the server's clip of it (its largest part). */
  const clip = () => {
    const geometry = session?.clipped;
    if (!geometry || !draw) return;
    const parts = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    const size = (rings) => rings[0].reduce((s, c, i, r) => (i ? s + (r[i - 1][0] * c[1] - c[0] * r[i - 1][1]) : s), 0);
    const largest = parts.reduce((a, b) => (Math.abs(size(b)) > Math.abs(size(a)) ? b : a));
    draw.updateFeatureGeometry(session.id, roundPolygon({ type: 'Polygon', coordinates: [largest[0]] }));
    rememberRing();
    check();
  };

  function cancel() {
    clearTimeout(checkTimer);
    checkSeq++;
    if (draw) {
      draw.clear();
      draw.setMode('static');
      draw.clearUndoRedoHistory();
    }
    ringHistory = [];
    session = null;
    setIssues([]);
    // Nothing of this tool's form carries over into the next one.
    fill(panel);
    panel.hidden = true;
  }

  /** Takes back the last point clicked, or the last change to the ring; says so when there is none. */
  const undo = () => {
    if (!draw || !session) return;
    if (session.id && draw.getMode() === 'select') {
      if (ringHistory.length > 1) {
        ringHistory.pop();
        draw.updateFeatureGeometry(session.id, ringHistory[ringHistory.length - 1]);
        scheduleCheck();
        return;
      }
    } else if (draw.canUndo()) {
      draw.undo();
      return;
    }
    // The last check's findings stay on screen beside the message.
    renderPanel({ report: session.report, message: t('planner.nothing_to_undo'), keepForm: true });
  };

  // --- the panel -----------------------------------------------------------------------------
  /** 定位: a button that zooms the map to `geometry` (an overlap or a gap of the check). */
  const locateButton = (geometry) => {
    if (!geometry) return null;
    return el('button', {
      type: 'button', class: 'link', 'data-action': 'locate-issue',
      onclick: () => fitBeside(map, [geometry], { panel, side: 'left', maxZoom: 20 }),
    }, t('planner.locate'));
  };

  function renderPanel({ report, message, kind = 'muted', keepForm = false }) {
    panel.hidden = false;
    const old = panel.querySelector('form');
    const values = old && (keepForm || report)
      ? { code: old.elements.code.value, name: old.elements.name.value, kind: old.elements.kind.value }
      : null;
    const initial = values ?? {
      code: session?.original?.code ?? session?.suggested?.code ?? '',
      name: session?.original?.name ?? session?.suggested?.name ?? '',
      kind: session?.original?.kind ?? 'residential',
    };
    const issues = [];
    if (report) {
      // Overlaps come back both as errors and as drawn overlaps: list them once.
      const errors = (report.errors ?? []).filter((e) => e.field !== 'geometry' || !report.overlaps.length);
      for (const e of errors) {
        issues.push(el('li', { class: 'warning', 'data-testid': 'check-error', title: e.reason },
          wordProblem(e) ?? `${fieldName(e.field)}: ${e.reason}`));
      }
      for (const o of report.overlaps) {
        issues.push(el('li', { class: 'warning', 'data-testid': 'overlap' },
          `${t('planner.overlap_with')} ${o.grid} · ${o.area_m2.toFixed(1)} m²`, locateButton(o.geometry)));
      }
      for (const g of report.gaps) {
        issues.push(el('li', { class: 'muted', 'data-testid': 'gap' }, `${t('planner.gap')} ${g.area_m2.toFixed(1)} m²`, locateButton(g.geometry)));
      }
      for (const c of report.carried ?? []) issues.push(el('li', { class: 'muted', 'data-testid': 'carried' }, `${t('planner.carried')} ${c.grid}`));
      if (report.outside_parent_m2 > 1) {
        issues.push(el('li', { class: 'warning' }, `${t('planner.outside_parent')} ${report.outside_parent_m2.toFixed(1)} m²`));
      }
      if (!issues.length) issues.push(el('li', { class: 'ok', 'data-testid': 'check-ok' }, t('planner.check_ok')));
    }
    const form = session?.id ? el('form', { class: 'grid-form' },
      el('label', {}, t('planner.code'), el('input', { name: 'code', required: true, pattern: '[0-9]{15}', value: initial.code })),
      el('label', {}, t('planner.name'), el('input', { name: 'name', required: true, value: initial.name })),
      el('label', {}, t('planner.kind'), el('select', { name: 'kind' },
        ['residential', 'village', 'dedicated'].map((k) => el('option', { value: k, selected: k === initial.kind }, t(`kind.${k}`)))))) : null;
    form?.addEventListener('change', scheduleCheck);
    // Why 保存 cannot be pressed now: an overlap the server would refuse, or a new gap not yet
    // accepted.
    const blocked = report?.overlaps.length
      ? t('planner.save_blocked_overlap')
      : session?.askGap ? t('planner.save_blocked_gap') : null;
    const gapQuestion = session?.askGap ? el('div', { class: 'question', 'data-testid': 'gap-question', role: 'alertdialog' },
      el('p', { class: 'warning' }, t('planner.gap_question')),
      el('div', { class: 'actions' },
        el('button', {
          type: 'button', 'data-action': 'keep-gap',
          onclick: () => {
            session.askGap = false;
            session.settled = session.report;
            renderPanel({ report: session.report, keepForm: true });
          },
        }, t('planner.keep_change')),
        el('button', { type: 'button', 'data-action': 'undo-gap', onclick: () => { session.askGap = false; undo(); } }, t('planner.undo_change')))) : null;
    fill(panel,
      el('h3', {}, session?.replaces ? `${t('planner.editing')} ${session.replaces}` : t('planner.new_grid')),
      message ? el('p', { class: kind, 'data-testid': 'planner-message' }, message) : null,
      form,
      issues.length ? el('ul', { 'data-testid': 'check-report' }, issues) : null,
      gapQuestion,
      blocked ? el('p', { class: 'muted small', 'data-testid': 'save-blocked' }, blocked) : null,
      session?.id ? el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'save', onclick: save, disabled: Boolean(blocked), title: blocked ?? undefined }, t('planner.save')),
        report?.clipped ? el('button', { type: 'button', 'data-action': 'clip', onclick: clip }, t('planner.clip')) : null,
        el('button', { type: 'button', onclick: undo }, t('planner.undo')),
        el('button', { type: 'button', onclick: cancel }, t('planner.cancel'))) : null,
    );
  }

  toolbar.querySelector('[data-action=draw]').addEventListener('click', startNew);
  toolbar.querySelector('[data-action=undo]').addEventListener('click', undo);
  toolbar.querySelector('[data-action=cancel]').addEventListener('click', cancel);
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'z' && session) {
      e.preventDefault();
      undo();
    }
  });

  return {
    /** The drawing, lent to another tool (the division assistant); ends any planner edit. */
    drawing: () => {
      if (session?.kind !== 'lent') {
        cancel();
        session = { kind: 'lent' };
      }
      return ensureDraw();
    },
    /** Takes the lent drawing back, clearing it. */
    releaseDrawing: () => {
      if (session?.kind === 'lent') cancel();
    },
    startEdit,
    startSplit,
    startMerge,
    pickAt,
    signedIn: () => !toolbar.hidden,
    /** Whether a grid is being drawn or edited (map clicks then belong to the drawing). */
    busy: () => session !== null,
  };
}
