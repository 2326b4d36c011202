// The attribute table (属性表) of one layer over the map's current view: the features in view
// (up to ROWS, with how many there are in all), sorted by any column, filtered by text, exported
// as CSV as shown, and each row zooming to its feature and opening the inspector on it. The
// table follows the view while it is open.

import { el, fill } from './dom.js';
import { getJson } from './http.js';
import * as i18n from './i18n.js';
import { t } from './i18n.js';
import { boundsOf, interiorPoint, viewBbox } from './view.js';

/** Rows asked for per view: enough to read, few enough to draw at once. */
const ROWS = 500;

const word = (prefix) => (v) => (v === null || v === undefined || v === '' ? '' : t(`${prefix}.${v}`));

/** The columns of each layer: property, header (i18n key) and how a value is shown. */
const COLUMNS = {
  grids: [['code'], ['name'], ['kind', word('kind')], ['households'], ['population'], ['parent_code']],
  cameras: [['code'], ['name'], ['kind', word('camera')], ['status', word('camera')], ['range_m'], ['azimuth_deg'], ['hfov_deg'], ['height_m']],
  'key-areas': [['name'], ['category', word('key')], ['status', word('keystatus')], ['lead_department'], ['responsible_person'], ['listed_date'], ['deadline']],
  'patrol-routes': [['id'], ['name'], ['team']],
  buildings: [['id'], ['address'], ['households'], ['residents']],
  events: [['id'], ['category'], ['status', word('eventstatus')], ['source'], ['reported_at'], ['grid_code'], ['description']],
  roads: [['id'], ['name'], ['class', word('roadclass')], ['oneway', word('oneway')]],
  regions: [['code'], ['name'], ['parent_code']],
};

/** The property that names an item of each layer in its URL. */
const KEY = { grids: 'code', cameras: 'code', regions: 'code' };

/** Sets up the table: its button beside the measure tool, its panel over the map's bottom. */
export function setupAttributeTable(map, show) {
  const state = { layer: 'grids', features: [], matched: null, more: false, sort: null, descending: false, filter: '', error: null };
  const panel = el('section', { class: 'attribute-table', id: 'attribute-table', 'data-testid': 'attribute-table', hidden: true, 'aria-live': 'polite' });
  const button = el('button', { type: 'button', 'data-action': 'table', 'aria-pressed': 'false', title: t('table.open') }, t('table.short'));
  map.addControl({ onAdd: () => el('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group tool-ctrl' }, button), onRemove: () => {} }, 'top-right');
  map.getContainer().append(panel);
  let asked = 0;

  const load = async () => {
    const mine = ++asked;
    const bbox = viewBbox(map);
    try {
      const page = await getJson(`/api/v1/${state.layer}?bbox=${bbox}&limit=${ROWS}`, { accept: 'application/geo+json' });
      if (mine !== asked) return;
      state.features = page.features;
      state.matched = page.numberMatched ?? null;
      state.more = (page.links ?? []).some((link) => link.rel === 'next');
      state.error = null;
    } catch (error) {
      if (mine !== asked) return;
      state.features = [];
      state.error = error.message;
    }
    render();
  };

  const columns = () => COLUMNS[state.layer];
  const shown = (feature, [name, format]) => {
    const value = feature.properties[name];
    return format ? format(value) : value ?? '';
  };
  const rows = () => {
    const needle = state.filter.trim().toLowerCase();
    const list = needle
      ? state.features.filter((f) => columns().some((c) => String(shown(f, c)).toLowerCase().includes(needle)))
      : [...state.features];
    const column = columns().find(([name]) => name === state.sort);
    if (column) {
      const collator = new Intl.Collator(i18n.language(), { numeric: true });
      list.sort((a, b) => {
        const [x, y] = [shown(a, column), shown(b, column)];
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
        return state.descending ? -order : order;
      });
    }
    return list;
  };

  const choose = (feature) => {
    const box = boundsOf([feature.geometry]);
    const anchor = interiorPoint(feature.geometry);
    if (!box || !anchor) return;
    const key = feature.properties[KEY[state.layer] ?? 'id'] ?? feature.id;
    show({ layer: state.layer, key, bbox: [...box[0], ...box[1]], anchor });
  };

  const exportCsv = () => {
    const cells = (values) => values.map((v) => {
      const text = String(v ?? '');
      return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    }).join(',');
    const lines = [cells(columns().map(([name]) => t(`table.col.${name}`))), ...rows().map((f) => cells(columns().map((c) => shown(f, c))))];
    const blob = new Blob([`\uFEFF${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
    const link = el('a', { href: URL.createObjectURL(blob), download: `${state.layer}-${t('table.view_file')}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };

  const count = (list) => {
    const number = new Intl.NumberFormat(i18n.language());
    const total = state.matched ?? (state.more ? `${number.format(state.features.length)}+` : state.features.length);
    return t('table.count')
      .replace('{shown}', number.format(list.length))
      .replace('{total}', typeof total === 'number' ? number.format(total) : total);
  };

  /** The rows and the count only: typing in the filter (an IME composing Chinese included)
   * keeps its input untouched. */
  const renderRows = () => {
    const list = rows();
    panel.querySelector('[data-testid=table-count]').textContent = count(list);
    panel.querySelector('[data-action=table-export]').disabled = list.length === 0;
    fill(panel.querySelector('tbody'), list.map((feature) => el('tr', {
      tabindex: 0,
      onclick: () => choose(feature),
      onkeydown: (e) => { if (e.key === 'Enter') choose(feature); },
    }, columns().map((c) => el('td', {}, shown(feature, c))))));
  };

  const render = () => {
    const header = (column) => {
      const [name] = column;
      const sorted = state.sort === name;
      return el('th', { scope: 'col', 'aria-sort': sorted ? (state.descending ? 'descending' : 'ascending') : 'none' },
        el('button', {
          type: 'button', class: 'sort',
          onclick: () => {
            state.descending = sorted ? !state.descending : false;
            state.sort = name;
            render();
          },
        }, t(`table.col.${name}`), sorted ? (state.descending ? ' ▼' : ' ▲') : ''));
    };
    fill(panel,
      el('div', { class: 'table-bar' },
        el('label', {}, t('table.layer'), ' ', el('select', {
          'data-testid': 'table-layer',
          onchange: (e) => {
            state.layer = e.target.value;
            state.sort = null;
            load();
          },
        }, Object.keys(COLUMNS).map((layer) => el('option', { value: layer, selected: layer === state.layer }, t(`table.layer.${layer}`))))),
        el('input', {
          type: 'search', class: 'table-filter', 'data-testid': 'table-filter', value: state.filter, placeholder: t('table.filter'),
          oninput: (e) => {
            state.filter = e.target.value;
            renderRows();
          },
        }),
        el('span', { class: 'muted', 'data-testid': 'table-count' }),
        el('button', { type: 'button', 'data-action': 'table-export', onclick: exportCsv }, t('table.export')),
        el('button', { type: 'button', class: 'close', title: t('inspector.close'), onclick: () => toggle(false) }, '×')),
      state.error && el('p', { class: 'message warning' }, state.error),
      state.matched !== null && state.matched > state.features.length && el('p', { class: 'muted small' }, t('table.zoom_in')),
      el('div', { class: 'table-scroll' },
        el('table', { class: 'attributes' },
          el('thead', {}, el('tr', {}, columns().map(header))),
          el('tbody', {}))));
    renderRows();
  };

  const follow = () => load();
  const toggle = (on) => {
    panel.hidden = !on;
    button.setAttribute('aria-pressed', String(on));
    if (on) {
      map.on('moveend', follow);
      load();
    } else {
      map.off('moveend', follow);
    }
  };
  button.addEventListener('click', () => toggle(panel.hidden));
  i18n.onLanguageChange(() => {
    button.title = t('table.open');
    button.textContent = t('table.short');
    if (!panel.hidden) render();
  });
  return { toggle };
}
