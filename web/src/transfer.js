// Import and export of a layer from the left panel: download any layer as GeoJSON or CSV (all of
// it, what is in the map's view, or the village last looked at on the map); upload
// a GeoJSON or CSV file or a zipped shapefile (with its coordinate system), check it first (dry
// run: every bad row with its line, feature or record number and reason, nothing imported), then
// import it in one transaction. Cameras also take an Excel workbook (.xlsx) and a column map
// (`code=设备编码,lon=经度`; Chinese headers are recognised without one); near duplicates come back
// as warnings.

import { el, fill } from './dom.js';
import { request } from './http.js';
import { t } from './i18n.js';
import { wordPlace, wordProblem } from './problems.js';

const LAYERS = ['grids', 'regions', 'workers', 'cameras', 'patrol-routes', 'key-areas', 'events', 'buildings', 'roads'];

/** The upload format of a file, by its extension: a .zip is a zipped shapefile. */
function formatOf(name) {
  if (/\.zip$/i.test(name)) return 'shapefile';
  if (/\.xlsx$/i.test(name)) return 'xlsx';
  return /\.csv$/i.test(name) ? 'csv' : 'geojson';
}

const MEDIA = {
  csv: 'text/csv',
  geojson: 'application/geo+json',
  shapefile: 'application/zip',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Sends the chosen file; a report of rows, or the bad rows in plain words. */
async function send(layer, file, crs, dryRun, map) {
  const format = formatOf(file.name);
  const mapped = layer === 'cameras' && map ? `&map=${encodeURIComponent(map)}` : '';
  // A zip is binary: send the file's bytes as they are; text formats go as UTF-8 text.
  const body = format === 'shapefile' || format === 'xlsx' ? file : await file.text();
  return request('POST', `/api/v1/${layer}/import?format=${format}&crs=${crs}&dry_run=${dryRun}${mapped}`, body,
    { type: MEDIA[format] });
}

/**
 * Sets up the import and export form. `viewBox()` gives the map's view as `west,south,east,north`
 * and `currentVillage()` the village last looked at (`{code, name}` or null), for exports of
 * either.
 */
export function setupTransfer({ onImported, viewBox, currentVillage }) {
  const section = document.getElementById('transfer');
  // What the planner chose survives every re-render (a report, a layer or language switch): a
  // check followed by 导入 imports the file that was checked.
  const chosen = { layer: 'grids', crs: 'wgs84', map: '', file: null, report: null, extent: 'all' };
  // Counts the uploads sent and the files chosen: a check answered after either is stale.
  let asked = 0;
  const remember = () => {
    const form = section.querySelector('form');
    if (!form) return;
    chosen.layer = form.elements.layer.value;
    chosen.crs = form.elements.crs.value;
    chosen.map = form.elements.map?.value.trim() ?? chosen.map;
    chosen.file = form.elements.file.files[0] ?? null;
    chosen.extent = form.elements.extent.value;
  };
  /** Points an export link at the chosen extent as it is now (the view moves, the village
   * changes); refuses with a message when no village has been looked at yet. */
  const aim = (event, format) => {
    remember();
    const { layer, extent } = chosen;
    const village = currentVillage?.();
    let query = '';
    let suffix = '';
    if (extent === 'view') {
      query = `&bbox=${viewBox()}`;
      suffix = '-view';
    } else if (extent === 'village') {
      if (!village) {
        event.preventDefault();
        showReport(el('p', { class: 'warning', 'data-testid': 'transfer-report' }, t('transfer.pick_village')));
        return;
      }
      query = `&village=${village.code}`;
      suffix = `-${village.code}`;
    }
    event.currentTarget.href = `/api/v1/${layer}/export?format=${format}${query}`;
    event.currentTarget.download = `${layer}${suffix}.${format}`;
  };
  const showReport = (report) => {
    chosen.report = report;
    fill(section.querySelector('[data-testid=transfer-result]'), report);
  };
  const render = () => {
    remember();
    const { layer } = chosen;
    const file = el('input', { type: 'file', name: 'file', accept: layer === 'cameras' ? '.geojson,.json,.csv,.zip,.xlsx' : '.geojson,.json,.csv,.zip', 'aria-label': t('transfer.file') });
    const form = el('form', { class: 'transfer', 'data-testid': 'transfer-form' },
      el('select', { name: 'layer', 'aria-label': t('transfer.layer') },
        LAYERS.map((l) => el('option', { value: l, selected: l === layer }, t(`layer.${l}`)))),
      el('div', { class: 'actions' },
        el('select', { name: 'extent', 'aria-label': t('transfer.extent'), 'data-testid': 'export-extent' },
          ['all', 'view', 'village'].map((x) => el('option', { value: x, selected: x === chosen.extent }, t(`transfer.extent.${x}`)))),
        el('a', { href: `/api/v1/${layer}/export?format=geojson`, download: `${layer}.geojson`, 'data-testid': 'export-geojson', onclick: (e) => aim(e, 'geojson') }, 'GeoJSON'),
        el('a', { href: `/api/v1/${layer}/export?format=csv`, download: `${layer}.csv`, 'data-testid': 'export-csv', onclick: (e) => aim(e, 'csv') }, 'CSV')),
      file,
      layer === 'cameras'
        ? el('input', { type: 'text', name: 'map', value: chosen.map, placeholder: 'code=设备编码,lon=经度,lat=纬度', 'aria-label': t('transfer.map'), title: t('transfer.map_hint'), 'data-testid': 'transfer-map' })
        : null,
      el('select', { name: 'crs', 'aria-label': t('transfer.crs') },
        [['wgs84', 'WGS84'], ['gcj02', 'GCJ-02'], ['bd09', 'BD-09']].map(([v, label]) => el('option', { value: v, selected: v === chosen.crs }, label))),
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'check-file', onclick: () => run(true) }, t('transfer.check')),
        el('button', { type: 'button', 'data-action': 'import-file', onclick: () => run(false) }, t('transfer.import'))));
    if (chosen.file) {
      const files = new DataTransfer();
      files.items.add(chosen.file);
      file.files = files.files;
    }
    form.elements.layer.addEventListener('change', () => {
      chosen.report = null;
      render();
    });
    // A new file makes the last report, and any answer still on its way, stale.
    file.addEventListener('change', () => {
      asked += 1;
      showReport(null);
    });
    fill(section, el('h2', {}, t('transfer.title')), form,
      el('div', { 'data-testid': 'transfer-result', 'aria-live': 'polite' }, chosen.report));
  };
  const run = async (dryRun) => {
    remember();
    const { layer, file, crs, map } = chosen;
    if (!file) {
      showReport(el('div', { 'data-testid': 'transfer-report' },
        el('p', { class: 'warning' }, t('transfer.no_file'))));
      return;
    }
    const mine = ++asked;
    const answer = await send(layer, file, crs, dryRun, map);
    if (answer.ok && !dryRun) onImported?.(layer);
    // A check answered after another file was chosen says nothing about that file; an import
    // is reported whatever happened meanwhile, as it changed the data.
    if (dryRun && mine !== asked) return;
    const body = answer.body ?? {};
    const bad = body.bad ?? [];
    const layerName = t(`layer.${layer}`);
    const summary = !answer.ok
      ? answer.error.message
      : dryRun
        ? `${t('transfer.valid_rows')} ${body.valid}/${body.rows} · ${t('transfer.checked_only')}`
        : `${t('transfer.imported')} ${body.imported} · ${layerName} · ${file.name}`;
    showReport(el('div', { 'data-testid': 'transfer-report' },
      el('p', { class: answer.ok ? 'ok' : 'warning' }, summary),
      bad.length ? el('ul', { class: 'small' }, bad.slice(0, 100).map((b) => el('li', { title: b.reason }, `${wordPlace(b.at)}${t('transfer.row_sep')}${wordProblem(b) ?? b.reason}`))) : null,
      (body.duplicates ?? []).length
        ? el('ul', { class: 'small warning' }, body.duplicates.slice(0, 100).map((d) =>
          el('li', {}, `${t('transfer.near_duplicate')} ${d.at} ${d.code} ≈ ${d.other_at} ${d.other_code} (${d.distance_m} m)`)))
        : null));
  };
  render();
  return { render };
}
