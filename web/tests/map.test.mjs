// The web map in a real headless Chromium against a real `safegrid serve` on the sample: the
// map draws grids from the server's tiles, a click shows the same answer as /api/v1/locate,
// search, camera sectors and the language switch work, and nothing is requested from outside
// 127.0.0.1.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  ARTEFACTS, assertCleanPage, jumpTo, newPage, openMap, renderedKeys, screenshot, settle, startBrowser, startServer,
} from './harness.mjs';

let server;
let browser;
let page;

async function api(path) {
  const response = await fetch(`${server.base}${path}`);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
}

describe('web map', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await startBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Every test: no request may leave 127.0.0.1, and the page logged no errors.
  afterEach(() => assertCleanPage(page));

  test('opens on the city and draws grids, town boundaries and key areas from tiles', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    assert.equal(await page.locator('h1').textContent(), '网格化管理一张图');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    const grids = await renderedKeys(page, ['grid-fill']);
    assert.ok(grids.length > 100, `the whole city shows many grids, saw ${grids.length}`);
    const all = await api('/api/v1/grids?limit=10000');
    const codes = new Set(all.features.map((f) => f.properties.code));
    for (const code of grids) assert.ok(codes.has(code), `rendered grid ${code} exists in the API`);
    // The offline basemap: the main roads at the city zoom, minor ones only closer in.
    const roads = await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['road-line'] })
      .map((f) => f.properties.class));
    assert.ok(roads.length > 0, 'main roads are drawn at the city zoom');
    assert.ok(roads.every((c) => ['motorway', 'trunk', 'primary'].includes(c)), `only main roads: ${[...new Set(roads)]}`);
    const towns = await renderedKeys(page, ['town-line']);
    assert.ok(towns.length >= 10, `town boundaries drawn, saw ${towns.length}`);
    // Zoomed out, the cameras are count bubbles from the tiles, not 20,000 dots.
    const bubbles = await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['camera-cluster'] })
      .map((f) => f.properties));
    const cameras = await api('/api/v1/cameras?limit=1');
    const counted = bubbles.reduce((n, p) => n + p.point_count, 0);
    assert.ok(bubbles.length > 10 && bubbles.length < counted, `${bubbles.length} bubbles for ${counted} cameras`);
    assert.ok(counted <= cameras.numberMatched, `${counted} counted, ${cameras.numberMatched} in the layer`);
    assert.ok(bubbles.every((p) => p.point_count === p.online + p.offline + p.fault));
    assert.equal(await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['camera-dot'] }).length), 0);
    // The bottom bar says what the city holds, in words a planner reads; the data version and
    // store stay in its tooltip.
    await page.waitForFunction(() => document.getElementById('data-version').textContent.length > 0);
    const footer = await page.locator('#data-version').textContent();
    assert.match(footer, /^网格 [\d,]+ 个 · 网格员 [\d,]+ 名 · 视频监控 [\d,]+ 路 · 事件 [\d,]+ 件$/);
    assert.ok(footer.includes(`视频监控 ${cameras.numberMatched.toLocaleString('zh-CN')} 路`), footer);
    assert.doesNotMatch(footer, /sqlite|数据版本/);
    assert.match(await page.locator('#data-version').getAttribute('title'), /^数据版本 \d+ · sqlite$/);
    // The legend explains what is shown, and only that: event heat is off until asked for.
    const legend = await page.locator('#legend').textContent();
    assert.match(legend, /城镇社区网格/);
    assert.match(legend, /聚合气泡/);
    assert.doesNotMatch(legend, /密度，非统计显著性/);
    assert.equal(await page.evaluate(() => window.safegridMap.getLayoutProperty('event-heat', 'visibility')), 'none');
    await screenshot(page, 'city');
    const fit = await page.evaluate(() => {
      const legend = document.getElementById('legend').getBoundingClientRect();
      const panel = document.getElementById('layers-panel').getBoundingClientRect();
      return { legend: legend.bottom, panel: panel.bottom };
    });
    assert.ok(fit.legend <= fit.panel, `the legend is read whole without scrolling: ${JSON.stringify(fit)}`);
    await page.locator('[data-group=events]').check();
    assert.match(await page.locator('#legend').textContent(), /密度，非统计显著性/);
    await page.locator('[data-group=events]').uncheck();
    await screenshot(page, 'city');
  });

  test('at working zooms each grid has one label and no heat or sector covers the grids', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    for (const zoom of [14, 16]) {
      await jumpTo(page, [120.2417, 29.2896], zoom);
      await settle(page);
      const labels = await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['grid-label'] })
        .map((f) => f.properties.code));
      assert.ok(labels.length > 0, `grid labels at zoom ${zoom}`);
      assert.equal(new Set(labels).size, labels.length, `one label per grid at zoom ${zoom}: ${labels}`);
      const grids = await renderedKeys(page, ['grid-fill']);
      for (const code of labels) assert.ok(grids.includes(code), `label ${code} sits on a drawn grid`);
      assert.equal(await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['camera-sector-fill'] }).length), 0);
    }
    await screenshot(page, 'working-zoom');
  });

  test('a click shows the inspector with the same grid, workers and cameras as the API', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    // A camera's own spot is seen by that camera: the inspector must list cameras there.
    const cameras = await api('/api/v1/cameras?bbox=120.22,29.25,120.26,29.30&limit=50');
    const online = cameras.features.find((f) => f.properties.status === 'online');
    assert.ok(online, 'the sample has an online camera in the town centre');
    const [lon, lat] = online.geometry.coordinates;
    await jumpTo(page, [lon, lat], 17);
    const box = await page.locator('#map canvas').boundingBox();
    const pixel = await page.evaluate(([x, y]) => window.safegridMap.project([x, y]), [lon, lat]);
    const asked = page.waitForRequest((r) => r.url().includes('/api/v1/locate?'));
    await page.mouse.click(box.x + pixel.x, box.y + pixel.y);
    // Ask the API the same question the page asked, independently of the page.
    const locateUrl = new URL((await asked).url());
    const clicked = [Number(locateUrl.searchParams.get('lon')), Number(locateUrl.searchParams.get('lat'))];
    assert.ok(Math.abs(clicked[0] - lon) < 1e-4 && Math.abs(clicked[1] - lat) < 1e-4, 'the page asked about the clicked spot');
    const expected = await api(`${locateUrl.pathname}${locateUrl.search}`);
    assert.ok(expected.grid, 'the clicked point is in a grid');
    await page.locator('[data-testid=grid-code]').waitFor();
    assert.equal(await page.locator('[data-testid=grid-code]').textContent(), expected.grid.code);
    assert.match(await page.locator('[data-testid=village]').textContent(), new RegExp(expected.village.code));
    const workerNames = await page.locator('[data-testid=grid] .worker strong').allTextContents();
    assert.deepEqual(workerNames, expected.grid.workers.map((w) => w.name));
    // Without a token, phone numbers are masked, as the API answers anyone, and not links.
    const masked = await page.locator('[data-testid=grid] [data-testid=phone-masked]').allTextContents();
    assert.deepEqual(masked, expected.grid.workers.filter((w) => w.phone).map((w) => w.phone));
    assert.ok(masked.length > 0 && masked.every((p) => /^\d{3}\*{4}\d{4}$/.test(p)), `${masked}`);
    assert.equal(await page.locator('[data-testid=grid] a.phone').count(), 0);
    const cameraCodes = await page.locator('[data-testid=cameras] [data-camera]')
      .evaluateAll((nodes) => nodes.map((n) => n.dataset.camera));
    assert.deepEqual(cameraCodes, expected.cameras.map((c) => c.code), 'cameras nearest first, as the API says');
    assert.ok(cameraCodes.length > 0);
    // Clicking a camera highlights its sector on the map.
    await page.locator(`[data-camera="${cameraCodes[0]}"]`).click();
    await page.locator(`[data-camera="${cameraCodes[0]}"].selected`).waitFor();
    await page.waitForFunction(() => window.safegridMap.queryRenderedFeatures({ layers: ['selection-fill'] })
      .some((f) => f.properties.role === 'sector'));
    // Every camera's sector is drawn on demand only.
    assert.deepEqual(await renderedKeys(page, ['camera-sector-fill']), []);
    await page.locator('[data-group=camera-sectors]').check();
    await page.waitForFunction(() => window.safegridMap.queryRenderedFeatures({ layers: ['camera-sector-fill'] }).length > 0);
    await page.locator('[data-group=camera-sectors]').uncheck();
    // The camera's health, and the grid's coverage as the coverage API computes it.
    await page.locator('[data-testid=camera-availability]').waitFor();
    const health = await api(`/api/v1/cameras/${cameraCodes[0]}/health`);
    assert.match(await page.locator('[data-testid=camera-health]').textContent(), new RegExp(health.name || health.code));
    const coverage = await api(`/api/v1/coverage/grids/${expected.grid.code}`);
    assert.equal(await page.locator('[data-testid=grid-coverage-share]').textContent(), `${coverage.properties.share}%`);
    await screenshot(page, 'inspector');
  });

  test('search finds a grid, then a village: each is pinned, outlined and inspected', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    const grids = await api('/api/v1/grids?limit=1&offset=500');
    const grid = grids.features[0].properties;
    await page.fill('#search-input', grid.code);
    const option = page.locator('#search-results li[role=option]').first();
    await option.waitFor();
    assert.match(await option.textContent(), new RegExp(grid.code));
    await page.evaluate(() => { window.moved = new Promise((r) => window.safegridMap.once('moveend', r)); });
    await option.click();
    await page.evaluate(() => window.moved);
    await settle(page);
    const shown = await renderedKeys(page, ['grid-fill']);
    assert.ok(shown.includes(grid.code), `grid ${grid.code} is on screen after the search`);
    // The inspector opens at the pin, inside the grid found, and the grid is outlined.
    await page.waitForFunction((code) => document.getElementById('inspector-body').textContent.includes(code), grid.code);
    const hit = (await api(`/api/v1/search?q=${grid.code}&limit=1`)).results[0];
    const located = await api(`/api/v1/locate?lon=${hit.anchor[0]}&lat=${hit.anchor[1]}`);
    assert.ok([located.grid?.code, located.micro_grid?.code].includes(grid.code), 'the anchor lies in the grid found');
    await page.waitForFunction(() => window.safegridMap.queryRenderedFeatures({ layers: ['selection-line'] })
      .some((f) => f.properties.role === 'found'));
    assert.ok(await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['selection-point'] }).length === 1), 'one pin');

    // A village by name: outlined whole, the inspector on a point inside it.
    const village = (await api('/api/v1/regions?limit=100')).features.map((f) => f.properties)
      .filter((r) => r.code.length === 12)[20];
    await page.fill('#search-input', village.name);
    const villageOption = page.locator('#search-results li[role=option]', { hasText: village.code }).first();
    await villageOption.waitFor();
    await villageOption.click();
    await page.waitForFunction((code) => document.querySelector('[data-testid=village]')?.textContent.includes(code), village.code);
    await settle(page);
    const outlined = await page.evaluate(() => window.safegridMap.getSource('selection').serialize().data.features
      .filter((f) => f.properties.role === 'found').map((f) => f.geometry.type));
    assert.equal(outlined.length, 1, 'the village is outlined');
    await screenshot(page, 'search');

    // A street by its name: the road is outlined along its line and its name is drawn.
    await page.fill('#search-input', '人民路');
    const street = page.locator('#search-results li[role=option]', { hasText: '道路 · 人民路' }).first();
    await street.waitFor();
    await page.evaluate(() => { window.moved = new Promise((r) => window.safegridMap.once('moveend', r)); });
    await street.click();
    await page.evaluate(() => window.moved);
    await page.waitForFunction(() => window.safegridMap.getSource('selection').serialize().data.features
      .some((f) => f.properties.role === 'found' && f.geometry.type === 'LineString'));
    await settle(page);
    const names = await renderedKeys(page, ['road-line'], 'name');
    assert.ok(names.includes('人民路'), `人民路 is drawn: ${names.slice(0, 20)}`);
  });

  test('a key area found by search shows its deadline with the year, lead department and responsible person', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    const area = (await api('/api/v1/key-areas?limit=1&offset=3')).features[0].properties;
    await page.fill('#search-input', area.id);
    const option = page.locator('#search-results li[role=option]', { hasText: area.id }).first();
    await option.waitFor();
    await option.click();
    const item = page.locator(`[data-key-area="${area.id}"]`);
    await item.waitFor();
    assert.equal(await item.locator('[data-testid=key-area-deadline]').textContent(), area.deadline);
    assert.match(area.deadline, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(await item.locator('[data-testid=key-area-lead]').textContent(), area.lead_department);
    assert.equal(await item.locator('[data-testid=key-area-responsible]').textContent(), area.responsible_person);
    // The grid's own figures: households and residents as the API has them, and its area.
    const gridCode = await page.locator('[data-testid=grid-code]').textContent();
    const grid = (await api(`/api/v1/grids/${gridCode}`)).properties;
    await page.waitForFunction(() => /面积/.test(document.querySelector('[data-testid=grid-figures]')?.textContent ?? ''));
    const figures = await page.locator('[data-testid=grid-figures]').textContent();
    assert.match(figures, new RegExp(`^户数 ${grid.households.toLocaleString('zh-CN')} · 人口 ${grid.population.toLocaleString('zh-CN')} · 面积 [\\d.,]+ (平方米|平方公里)$`));
    // Key-area labels on the map carry the deadline's year.
    const label = await page.evaluate(() => JSON.stringify(window.safegridMap.getLayoutProperty('key-area-label', 'text-field')));
    assert.doesNotMatch(label, /slice/);
  });

  test('the measure tool gives a distance, then an area, and the inspector stays closed', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await jumpTo(page, [120.2417, 29.2896], 16);
    const box = await page.locator('#map canvas').boundingBox();
    const clickAt = async (lonLat) => {
      const p = await page.evaluate((c) => window.safegridMap.project(c), lonLat);
      await page.mouse.click(box.x + p.x, box.y + p.y);
      await page.waitForTimeout(350); // not a double-click
    };
    await page.click('[data-action=measure]');
    await page.locator('[data-testid=measure]').waitFor();
    // Two points 0.004° of longitude apart at 29.29° N: 2 × R × asin(cos φ × sin(Δλ/2)) ≈ 388.3 m.
    const a = [120.2397, 29.2896];
    const b = [120.2437, 29.2896];
    await clickAt(a);
    await clickAt(b);
    const expected = 2 * 6371008.8 * Math.asin(Math.cos(29.2896 * Math.PI / 180) * Math.sin(0.002 * Math.PI / 180));
    const shown = Number((await page.locator('[data-testid=measure-total]').textContent()).replace(/[^\d.]/g, ''));
    assert.ok(Math.abs(shown - expected) / expected < 0.01, `${shown} m shown, ${expected.toFixed(1)} m expected`);
    assert.match(await page.locator('[data-testid=measure-total]').textContent(), /米$/);
    // The same two points and a third as an area: a right triangle of legs ≈ 388 m and ≈ 333 m.
    await page.click('[data-testid=measure] [data-mode=area]');
    await clickAt(a);
    await clickAt(b);
    await clickAt([120.2437, 29.2926]);
    assert.match(await page.locator('[data-testid=measure-total]').textContent(), /平方米$/);
    const area = Number((await page.locator('[data-testid=measure-total]').textContent()).replace(/[^\d.]/g, ''));
    const legs = expected * (0.003 * Math.PI / 180 * 6371008.8) / 2;
    assert.ok(Math.abs(area - legs) / legs < 0.01, `${area} m² shown, about ${legs.toFixed(0)} m² expected`);
    assert.equal(await page.locator('#inspector').isHidden(), true, 'map clicks belong to the tool');
    await page.click('[data-action=measure-close]');
    assert.equal(await page.locator('[data-testid=measure]').isHidden(), true);
    await clickAt(a);
    await page.locator('[data-testid=grid-code]').waitFor();
  });

  test('the English switch relabels the page and the choice is kept in the URL', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await page.click('[data-lang=en]');
    assert.equal(await page.locator('h1').textContent(), 'Grid management map');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.match(page.url(), /lang=en/);
    assert.match(await page.locator('#legend').textContent(), /Urban community grid/);
    assert.match(await page.locator('#data-version').textContent(), /^[\d,]+ grids · [\d,]+ grid workers · [\d,]+ cameras · [\d,]+ events$/);
    await page.reload();
    await page.waitForFunction(() => document.body.classList.contains('map-ready'));
    assert.equal(await page.locator('h1').textContent(), 'Grid management map');
    await screenshot(page, 'english');
  });

  test('the layer switcher hides and shows a layer group and colours grids by workload', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base, '?layers=grids');
    assert.equal(await page.locator('[data-group=cameras]').isChecked(), false);
    assert.equal(await page.evaluate(() => window.safegridMap.getLayoutProperty('camera-dot', 'visibility')), 'none');
    await page.locator('[data-group=cameras]').check();
    assert.equal(await page.evaluate(() => window.safegridMap.getLayoutProperty('camera-dot', 'visibility')), 'visible');
    assert.match(page.url(), /layers=grids%2Ccameras|layers=grids,cameras/);
    await page.selectOption('#grid-colour', 'workload');
    const paint = await page.evaluate(() => window.safegridMap.getPaintProperty('grid-fill', 'fill-color'));
    assert.equal(paint[0], 'step');
    assert.match(await page.locator('#legend').textContent(), /户数/);
  });

  test('the blind-spot layer shades what no online camera sees, as the coverage API says', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    assert.equal(await page.locator('[data-group=blind-spots]').isChecked(), false, 'off by default');
    await jumpTo(page, [120.2417, 29.2896], 16);
    // The first coverage request builds every camera's polygon (a debug build on a busy machine
    // may take a while).
    const asked = page.waitForResponse((r) => r.url().includes('/api/v1/coverage/blind-spots?'), { timeout: 180_000 });
    await page.locator('[data-group=blind-spots]').check();
    const answer = await (await asked).json();
    assert.ok(answer.features.length > 0, 'the town centre has blind spots');
    await settle(page);
    const shaded = await renderedKeys(page, ['blind-spot-fill']);
    assert.ok(shaded.length > 0);
    const codes = new Set(answer.features.map((f) => f.properties.code));
    for (const code of shaded) assert.ok(codes.has(code), `${code} shaded as the API says`);
    await screenshot(page, 'blind-spots');
  });
  test('the region tree unfolds town → village → grid with its figures; a node picked is shown and inspected', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    const n = (x) => x.toLocaleString('zh-CN');
    const root = await api('/api/v1/regions/tree');
    const tree = page.locator('[data-testid=region-tree]');
    await tree.waitFor();
    // The root's cards: the roster (serving / all), cameras online, overdue key areas.
    assert.equal(await page.locator('[data-testid=summary-title]').textContent(), `${root.name} 县(市)`);
    assert.equal(await page.locator('[data-testid=card-workers] .value').textContent(),
      `${n(root.figures.workers)} / ${n(root.figures.workers + root.workers_unassigned)}`);
    assert.equal(await page.locator('[data-testid=card-cameras] .value').textContent(),
      `${n(root.figures.cameras_online)} / ${n(root.figures.cameras)}`);
    assert.equal(await page.locator('[data-testid=card-overdue] .value').textContent(),
      `${n(root.figures.key_areas_overdue)} / ${n(root.figures.key_areas)}`);
    assert.equal(await tree.locator(':scope > li').count(), root.items.length);

    // Unfold the town with the most grids, pick one of its villages: the map goes there and the
    // inspector shows it, the cards show its figures.
    const town = root.items.reduce((a, b) => (b.figures.grids > a.figures.grids ? b : a));
    await tree.locator(`li[data-code="${town.code}"] > .region-row .toggle`).click();
    const village = (await api(`/api/v1/regions/tree?code=${town.code}`)).items.find((v) => v.figures.grids > 1);
    const villageRow = tree.locator(`li[data-code="${village.code}"]`);
    await villageRow.waitFor();
    await page.evaluate(() => { window.moved = new Promise((r) => window.safegridMap.once('moveend', r)); });
    await villageRow.locator(':scope > .region-row .link').click();
    await page.evaluate(() => window.moved);
    await page.waitForFunction((code) => document.querySelector('[data-testid=village]')?.textContent.includes(code), village.code);
    assert.equal(await page.locator('[data-testid=summary-title]').textContent(), `${village.name} 村(社区)`);
    const grids = village.figures.micro_grids ? `${n(village.figures.grids)} + ${n(village.figures.micro_grids)}` : n(village.figures.grids);
    assert.equal(await page.locator('[data-testid=card-grids] .value').textContent(), grids);
    const centre = await page.evaluate(() => window.safegridMap.getCenter().toArray());
    const [w, s, e, nn] = village.bbox;
    assert.ok(centre[0] > w && centre[0] < e && centre[1] > s && centre[1] < nn, `the map is on the village: ${centre}`);

    // Unfold the village and pick a grid: inspected, with its own figures.
    await villageRow.locator(':scope > .region-row .toggle').click();
    const grid = (await api(`/api/v1/regions/tree?code=${village.code}`)).items[0];
    const gridRow = tree.locator(`li[data-code="${grid.code}"]`);
    await gridRow.waitFor();
    await gridRow.locator(':scope > .region-row .link').click();
    await page.waitForFunction((code) => document.getElementById('inspector-body').textContent.includes(code), grid.code);
    assert.equal(await page.locator('[data-testid=card-workers] .value').textContent(), n(grid.figures.workers));
    await screenshot(page, 'region-tree');

    // In English the tree keeps what is unfolded and picked, and the cards speak English.
    await page.click('[data-lang=en]');
    assert.equal(await page.locator('[data-testid=card-workers] .label').textContent(), 'Workers');
    assert.match(await page.locator('[data-testid=summary-title]').textContent(), / grid$/);
    assert.ok(await gridRow.isVisible());
  });

  test('the attribute table lists what is in view, sorts, filters, exports what it shows and zooms to a row', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await jumpTo(page, [120.2417, 29.2896], 14);
    await page.click('[data-action=table]');
    const rows = page.locator('[data-testid=attribute-table] tbody tr');
    await rows.first().waitFor();
    const bbox = await page.evaluate(() => {
      const b = window.safegridMap.getBounds();
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(',');
    });
    const listed = await api(`/api/v1/grids?bbox=${bbox}&limit=500`);
    assert.equal(await rows.count(), listed.features.length, 'one row per grid in view');
    assert.equal(await page.locator('[data-testid=table-count]').textContent(),
      `显示 ${listed.features.length} 条 / 视野内 ${listed.numberMatched} 条`);

    // Sorted by households, most first.
    const households = page.locator('[data-testid=attribute-table] th', { hasText: '户数' }).locator('.sort');
    await households.click();
    await households.click();
    const column = await page.evaluate(() => [...document.querySelectorAll('[data-testid=attribute-table] tbody tr')]
      .map((tr) => Number(tr.children[3].textContent)));
    assert.deepEqual(column, [...column].sort((a, b) => b - a));
    assert.equal(column[0], Math.max(...listed.features.map((f) => f.properties.households)));

    // Filtered by a village's name: only its grids, and the export is what is shown.
    const name = listed.features[0].properties.name.replace(/第\d+网格$/, '');
    await page.fill('[data-testid=table-filter]', name);
    const wanted = listed.features.filter((f) => Object.values(f.properties).some((v) => String(v).includes(name)));
    await page.waitForFunction((count) => document.querySelectorAll('[data-testid=attribute-table] tbody tr').length === count, wanted.length);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=table-export]')]);
    assert.match(download.suggestedFilename(), /^grids-当前视野\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.ok(csv.startsWith('\uFEFF编码,名称,类型,户数,人口,上级编码\r\n'), csv.slice(0, 60));
    const lines = csv.trim().split('\r\n');
    assert.equal(lines.length, wanted.length + 1);
    assert.ok(lines.slice(1).every((line) => line.includes(name)));

    // A row zooms to its grid and opens the inspector on it.
    const first = await rows.first().locator('td').first().textContent();
    await rows.first().click();
    await page.waitForFunction((code) => document.getElementById('inspector-body').textContent.includes(code), first);

    // Another layer: the cameras in view, with their status in words.
    await page.selectOption('[data-testid=table-layer]', 'cameras');
    await page.waitForFunction(() => document.querySelector('[data-testid=attribute-table] th')?.textContent.startsWith('编码')
      && [...document.querySelectorAll('[data-testid=attribute-table] tbody td')].some((td) => /^(在线|离线|故障)$/.test(td.textContent)));
    await screenshot(page, 'attribute-table');
    await page.click('[data-testid=attribute-table] .close');
    assert.equal(await page.locator('[data-testid=attribute-table]').isHidden(), true);
  });

  test('the view and the village looked at are exported; the map sheet is saved with legend, scale and north arrow', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await jumpTo(page, [120.2417, 29.2896], 15);
    const form = page.locator('[data-testid=transfer-form]');
    // The village before any was looked at: said, not downloaded.
    await form.locator('[data-testid=export-extent]').selectOption('village');
    await form.locator('[data-testid=export-csv]').click();
    assert.match(await page.locator('[data-testid=transfer-report]').textContent(), /请先在地图上点选一个村/);

    // The view: what the API lists in the same box.
    await form.locator('[data-testid=export-extent]').selectOption('view');
    const [inView] = await Promise.all([page.waitForEvent('download'), form.locator('[data-testid=export-csv]').click()]);
    assert.equal(inView.suggestedFilename(), 'grids-view.csv');
    const bbox = await page.evaluate(() => {
      const b = window.safegridMap.getBounds();
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(',');
    });
    const listed = await api(`/api/v1/grids?bbox=${bbox}&limit=10000`);
    const viewCsv = readFileSync(await inView.path(), 'utf8').trim().split('\n');
    assert.equal(viewCsv.length, listed.numberMatched + 1);

    // Click the map: that village is the one exported, grids and micro-grids.
    await page.mouse.click(700, 450);
    const village = await page.locator('[data-testid=village]').textContent();
    const code = /\d{12}/.exec(village)[0];
    await form.locator('[data-testid=export-extent]').selectOption('village');
    const [ofVillage] = await Promise.all([page.waitForEvent('download'), form.locator('[data-testid=export-csv]').click()]);
    assert.equal(ofVillage.suggestedFilename(), `grids-${code}.csv`);
    const figures = (await api(`/api/v1/regions/tree?code=${code}`)).figures;
    const villageCsv = readFileSync(await ofVillage.path(), 'utf8').trim().split('\n');
    assert.equal(villageCsv.length, figures.grids + figures.micro_grids + 1);

    // 出图: a PNG of the map with a title bar, a legend column and a footer around it.
    await page.click('[data-action=print]');
    await page.fill('[data-testid=print-title]', '浏览器测试出图');
    const [sheet] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=print-png]')]);
    assert.equal(sheet.suggestedFilename(), '浏览器测试出图.png');
    const png = readFileSync(await sheet.path());
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const canvas = await page.evaluate(() => [window.safegridMap.getCanvas().width, window.safegridMap.getCanvas().height]);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [canvas[0] + 230, canvas[1] + 70]);
    assert.ok(png.length > 50_000, `the sheet holds the map, ${png.length} bytes`);
    mkdirSync(ARTEFACTS, { recursive: true });
    writeFileSync(path.join(ARTEFACTS, 'map-sheet.png'), png);
  });
});
