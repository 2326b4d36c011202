// The region tree (区划树: county → town → village/community → grid → micro-grid) in the left
// panel, with summary cards for the node picked: grids, workers serving (在岗 / 总数 on the
// root), grids without a worker, cameras online, overdue key areas, households and residents.
// A node unfolds on demand (one `GET /api/v1/regions/tree?code=` per node); picking it moves
// the map there and opens the inspector, as a search hit does.

import { el, fill } from './dom.js';
import { getJson } from './http.js';
import * as i18n from './i18n.js';
import { t } from './i18n.js';

const LAYER_OF = { county: 'regions', town: 'regions', village: 'regions', grid: 'grids', micro_grid: 'grids' };

/**
 * Sets up the tree in `#regions`. `pick(hit)` is called with a search-hit-like object
 * (`{layer, key, name, bbox, anchor}`) when a node is picked. Returns `{ refresh }`, which
 * reloads the figures after an edit while keeping what is unfolded and picked.
 */
export function setupRegionTree(pick) {
  const section = document.getElementById('regions');
  const open = new Set();
  const branches = new Map();
  let root = null;
  let picked = null;
  let failure = null;

  const load = async (code) => {
    const branch = await getJson(code ? `/api/v1/regions/tree?code=${encodeURIComponent(code)}` : '/api/v1/regions/tree');
    branches.set(code ?? '', branch);
    return branch;
  };

  // A branch that failed to unfold says why, under the tree it left as it was.
  const render = () => {
    const said = failure && el('p', { class: 'message warning' }, failure);
    if (!root) {
      fill(section, el('h2', {}, t('regions.title')), said);
      return;
    }
    const node = picked ? findNode(picked) ?? root : root;
    fill(section,
      el('h2', {}, t('regions.title')),
      cards(node, node === root ? root.workers_unassigned : undefined),
      el('ul', { class: 'region-tree', role: 'tree', 'data-testid': 'region-tree' }, rows(root)),
      said);
  };

  const findNode = (code) => {
    if (root.code === code) return root;
    for (const branch of branches.values()) {
      const hit = branch.items.find((n) => n.code === code);
      if (hit) return hit;
    }
    return null;
  };

  const rows = (branch) => branch.items.map((node) => {
    const expanded = open.has(node.code) && branches.has(node.code);
    return el('li', { role: 'treeitem', 'aria-expanded': node.children ? String(expanded) : false, dataset: { code: node.code } },
      el('div', { class: `region-row${picked === node.code ? ' picked' : ''}` },
        node.children
          ? el('button', {
            type: 'button', class: 'toggle', 'aria-label': t(expanded ? 'regions.fold' : 'regions.unfold'),
            onclick: () => toggle(node.code),
          }, expanded ? '▾' : '▸')
          : el('span', { class: 'toggle' }),
        el('button', { type: 'button', class: 'link', onclick: () => choose(node) }, node.name),
        badges(node)),
      expanded && el('ul', { role: 'group' }, rows(branches.get(node.code)),
        branches.get(node.code).truncated && el('li', { class: 'muted' }, t('regions.truncated'))));
  });

  const toggle = async (code) => {
    failure = null;
    if (open.has(code)) open.delete(code);
    else {
      open.add(code);
      if (!branches.has(code)) {
        try {
          await load(code);
        } catch (error) {
          open.delete(code);
          failure = error.message;
        }
      }
    }
    render();
  };

  const choose = (node) => {
    picked = node.code;
    render();
    if (node.bbox && node.anchor) {
      pick({ layer: LAYER_OF[node.level], key: node.code, name: node.name, bbox: node.bbox, anchor: node.anchor });
    }
  };

  const refresh = async () => {
    try {
      root = await load(null);
      failure = null;
      await Promise.all([...open].map((code) => load(code).catch(() => open.delete(code))));
    } catch (error) {
      failure = error.message;
    }
    render();
  };

  i18n.onLanguageChange(render);
  refresh();
  return { refresh };
}

/** The badges of a tree row: grids (or micro-grids), grids without a worker, overdue areas. */
function badges(node) {
  const f = node.figures;
  const number = new Intl.NumberFormat(i18n.language());
  const grids = node.level === 'grid' || node.level === 'micro_grid'
    ? null
    : el('span', { class: 'count', title: t('regions.grids') }, number.format(f.grids));
  return [
    grids,
    f.grids_without_worker > 0 && el('span', { class: 'badge warn', title: t('regions.without_worker') }, number.format(f.grids_without_worker)),
    f.key_areas_overdue > 0 && el('span', { class: 'badge alert', title: t('regions.overdue') }, number.format(f.key_areas_overdue)),
  ];
}

/** Summary cards for `node`; `unassigned` (workers serving no grid) only on the root. */
function cards(node, unassigned) {
  const f = node.figures;
  const number = new Intl.NumberFormat(i18n.language());
  const n = (x) => number.format(x);
  const card = (key, value, { testid, tone } = {}) => el('div', { class: `card${tone ? ` ${tone}` : ''}`, 'data-testid': testid },
    el('span', { class: 'value' }, value), el('span', { class: 'label' }, t(key)));
  const workers = unassigned === undefined
    ? n(f.workers)
    : `${n(f.workers)} / ${n(f.workers + unassigned)}`;
  return el('div', { class: 'summary' },
    el('p', { class: 'summary-title', 'data-testid': 'summary-title' }, node.name || t('regions.all'), ' ',
      el('span', { class: 'muted' }, t(`regions.level.${node.level}`))),
    el('div', { class: 'cards' },
      node.level === 'grid' || node.level === 'micro_grid'
        ? card('regions.micro_grids', n(f.micro_grids))
        : card('regions.grids', f.micro_grids ? `${n(f.grids)} + ${n(f.micro_grids)}` : n(f.grids), { testid: 'card-grids' }),
      card(unassigned === undefined ? 'regions.workers' : 'regions.workers_on_duty', workers, { testid: 'card-workers' }),
      card('regions.without_worker', n(f.grids_without_worker), { testid: 'card-unstaffed', tone: f.grids_without_worker ? 'warn' : null }),
      card('regions.cameras_online', `${n(f.cameras_online)} / ${n(f.cameras)}`, { testid: 'card-cameras' }),
      card('regions.overdue_areas', `${n(f.key_areas_overdue)} / ${n(f.key_areas)}`, { testid: 'card-overdue', tone: f.key_areas_overdue ? 'alert' : null }),
      card('regions.households', `${n(f.households)} / ${n(f.population)}`)));
}
