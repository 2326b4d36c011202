// Placement advice and obstacles in a real headless Chromium against a real `safegrid serve` on
// the sample: a viewer sees no placement panel; a rectification user asks for the grid under
// the inspector and the panel lists and draws exactly what `POST /api/v1/cameras/placement`
// answers for the same request; a bad spacing comes back in plain words. Obstacles created
// through the API are drawn where the API puts them, switch off with their layer group, and the
// inspector shows a clicked one's kind and height.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  assertCleanPage, callApi, issueToken, jumpTo, newPage, openMap, renderedKeys, screenshot, settle,
  signIn as signInAs, startBrowser, startServer,
} from './harness.mjs';

let server;
let browser;
let page;

/** The town centre of the sample (cameras, grids and events around it). */
const CENTRE = [120.2417, 29.2896];

const api = (method, path, body, token) => callApi(server.base, method, path, body, token);
const tokenFor = (role) => issueToken(server.base, role);
const signIn = (token) => signInAs(page, token);

/** Clicks the map at `[lon, lat]` and waits for the inspector's answer. */
async function clickAt(lngLat) {
  const box = await page.locator('#map canvas').first().boundingBox();
  const pixel = await page.evaluate((c) => window.safegridMap.project(c), lngLat);
  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/locate?'));
  await page.mouse.click(box.x + pixel.x, box.y + pixel.y);
  return (await answered).json();
}

/** `[west, south, east, north]` of any GeoJSON coordinates. */
function bboxOf(coordinates) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      box[0] = Math.min(box[0], c[0]);
      box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]);
      box[3] = Math.max(box[3], c[1]);
    } else c.forEach(visit);
  };
  visit(coordinates);
  return box;
}

/** A square footprint of half-side `d` degrees around `[lon, lat]`. */
function square([lon, lat], d) {
  return [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]];
}

describe('placement advice and obstacles', { timeout: 900_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await startBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(() => assertCleanPage(page));

  test('a viewer gets no placement panel; a rectification user does', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    assert.equal(await page.locator('#placement-toolbar').isHidden(), true, 'hidden before signing in');
    await signIn(await tokenFor('viewer'));
    assert.equal(await page.locator('#placement-toolbar').isHidden(), true, 'hidden for a viewer');
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.waitForFunction(() => document.body.classList.contains('map-ready'));
    await signIn(await tokenFor('rectification'));
    assert.equal(await page.locator('#placement-toolbar').isVisible(), true);
    await page.click('#placement-toolbar [data-action=placement]');
    await page.locator('[data-testid=placement-hint]').waitFor();
    assert.match(await page.locator('#placement-panel').textContent(), /摄像头选点建议/);
  });

  test('the panel proposes for the inspected grid exactly what the API answers, drawn in pick order', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    const token = await tokenFor('rectification');
    await signIn(token);
    await jumpTo(page, CENTRE, 16);
    const located = await clickAt(CENTRE);
    assert.ok(located.grid, 'the town centre is in a grid');
    await page.click('#placement-toolbar [data-action=placement]');
    const target = page.locator('[data-testid=placement-form] [name=target]');
    await target.waitFor();
    assert.match(await target.locator('option:checked').textContent(), new RegExp(located.grid.code), 'the inspected grid is the default target');
    await page.fill('[data-testid=placement-form] [name=k]', '3');
    const asked = page.waitForRequest((r) => r.url().endsWith('/api/v1/cameras/placement') && r.method() === 'POST');
    await page.click('[data-action=placement-ask]');
    const request = await asked;
    const sent = JSON.parse(request.postData());
    assert.deepEqual(sent.target, { grid: located.grid.code });
    assert.equal(sent.k, 3);
    assert.equal(request.headers().authorization, `Bearer ${token}`);
    // The same request, asked independently of the page.
    const expected = await api('POST', '/api/v1/cameras/placement', sent, token);
    assert.equal(expected.status, 200, JSON.stringify(expected.body));
    const cameras = expected.body.features.filter((f) => f.properties.role === 'camera');
    assert.ok(cameras.length >= 1 && cameras.length <= 3, `${cameras.length} proposals`);

    const list = page.locator('[data-testid=placement-list] li');
    await list.first().waitFor({ timeout: 180_000 });
    const shown = await list.evaluateAll((items) => items.map((li) => ({
      rank: Number(li.dataset.rank), lon: Number(li.dataset.lon), lat: Number(li.dataset.lat),
    })));
    assert.deepEqual(shown, cameras.map((f) => ({ rank: f.properties.rank, lon: f.properties.lon, lat: f.properties.lat })));
    const gains = await page.locator('[data-testid=placement-gain]').allTextContents();
    assert.deepEqual(gains.map((g) => g.match(/([\d.]+)%/)[1]), cameras.map((f) => f.properties.gain_share.toFixed(1)));
    const s = expected.body.summary;
    assert.equal(await page.locator('[data-testid=placement-coverage]').textContent(),
      `${s.covered_before.toFixed(1)}% → ${s.covered_after.toFixed(1)}%`);
    assert.match(await page.locator('[data-testid=placement-guarantee]').textContent(), /保证：覆盖量至少达到最优方案的一半/);
    // Where the candidate sites came from, and why fewer than asked when so.
    const source = { patrol_routes: '巡查路线沿线', lattice: '目标范围内的方格点阵', candidates: '给出的候选点' }[s.sites_from];
    assert.match(await page.locator('[data-testid=placement-sites]').textContent(), new RegExp(`^候选点来源：${source} · 共 ${s.sites} 个$`));
    assert.equal(await page.locator('[data-testid=placement-fewer]').count(), cameras.length < s.k_asked ? 1 : 0);

    // On the map: one numbered point per proposal where the API puts it, and its sector.
    await settle(page);
    const drawn = await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['placement-camera'] })
      .map((f) => ({ rank: f.properties.rank, at: f.geometry.coordinates })));
    const byRank = new Map(drawn.map((d) => [d.rank, d.at]));
    assert.deepEqual([...byRank.keys()].sort(), cameras.map((f) => f.properties.rank));
    for (const f of cameras) {
      const [lon, lat] = byRank.get(f.properties.rank);
      assert.ok(Math.abs(lon - f.properties.lon) < 1e-5 && Math.abs(lat - f.properties.lat) < 1e-5,
        `proposal ${f.properties.rank} drawn at ${lon},${lat}, API says ${f.properties.lon},${f.properties.lat}`);
    }
    const sectors = await renderedKeys(page, ['placement-sector-fill'], 'rank');
    const withArea = expected.body.features.filter((f) => f.properties.role === 'sector' && f.geometry);
    assert.deepEqual(sectors, withArea.map((f) => f.properties.rank).sort());
    await screenshot(page, 'placement');

    // English, then clear.
    await page.click('[data-lang=en]');
    assert.match(await page.locator('[data-testid=placement-guarantee]').textContent(), /at least half/);
    await page.click('[data-action=placement-clear]');
    await settle(page);
    assert.equal(await page.locator('[data-testid=placement-list]').count(), 0);
    assert.deepEqual(await renderedKeys(page, ['placement-camera'], 'rank'), []);
  });

  test('a target typed by its code needs no click on the map; a village code asks for the village', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    const token = await tokenFor('planner');
    await signIn(token);
    await page.click('#placement-toolbar [data-action=placement]');
    await page.locator('[data-testid=placement-hint]').waitFor();
    const ask = page.locator('[data-action=placement-ask]');
    assert.equal(await ask.isDisabled(), true, 'nothing to cover yet');
    // A grid code's first 12 digits are its village's code.
    const grids = await api('GET', '/api/v1/grids?limit=1');
    assert.equal(grids.status, 200, JSON.stringify(grids.body));
    const village = { code: grids.body.features[0].properties.code.slice(0, 12) };
    await page.fill('[data-testid=placement-form] [name=code]', village.code);
    assert.equal(await ask.isDisabled(), false, 'a typed code is a target');
    await page.fill('[data-testid=placement-form] [name=k]', '2');
    const asked = page.waitForRequest((r) => r.url().endsWith('/api/v1/cameras/placement') && r.method() === 'POST');
    await ask.click();
    const sent = JSON.parse((await asked).postData());
    assert.deepEqual(sent.target, { village: village.code });
    const expected = await api('POST', '/api/v1/cameras/placement', sent, token);
    assert.equal(expected.status, 200, JSON.stringify(expected.body));
    const list = page.locator('[data-testid=placement-list] li');
    await list.first().waitFor({ timeout: 180_000 });
    const shown = await list.evaluateAll((items) => items.map((li) => Number(li.dataset.rank)));
    assert.deepEqual(shown, expected.body.features.filter((f) => f.properties.role === 'camera').map((f) => f.properties.rank));
  });

  test('a request the server refuses is explained in plain words', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await signIn(await tokenFor('planner'));
    await jumpTo(page, CENTRE, 16);
    await clickAt(CENTRE);
    await page.click('#placement-toolbar [data-action=placement]');
    await page.fill('[data-testid=placement-form] [name=spacing]', '5');
    await page.click('[data-action=placement-ask]');
    const error = page.locator('[data-testid=placement-error]');
    await error.waitFor();
    // Worded from the problem's code and figures, the field named as the form names it.
    assert.equal(await error.textContent(), '候选点间距须在 10–500 米之间');
    assert.deepEqual(await renderedKeys(page, ['placement-camera'], 'rank'), []);
    // The same refusal in English once the page speaks English.
    await page.click('[data-lang=en]');
    await page.fill('[data-testid=placement-form] [name=spacing]', '5');
    await page.click('[data-action=placement-ask]');
    await page.waitForFunction(() => /between/.test(document.querySelector('[data-testid=placement-error]')?.textContent ?? ''));
    assert.equal(await error.textContent(), 'Candidate spacing must be between 10 and 500 m');
    await page.click('[data-lang=zh-CN]');
    // Chromium logs each refused request itself; those errors are expected, no other.
    assert.equal(page.consoleErrors.length, 2, page.consoleErrors.join('\n'));
    assert.ok(page.consoleErrors.every((e) => /status of 400/.test(e)), page.consoleErrors.join('\n'));
    page.consoleErrors.length = 0;
  });

  test('obstacles are drawn where the API says, switch off with their group, and show in the inspector', async () => {
    const footprint = {
      type: 'Feature',
      properties: { id: 'browser-obstacle-1', name: '测试楼', kind: 'building', height_m: 12 },
      geometry: { type: 'Polygon', coordinates: square([CENTRE[0] + 0.0006, CENTRE[1] + 0.0004], 0.0001) },
    };
    const wall = {
      type: 'Feature',
      properties: { id: 'browser-wall-1', name: '测试围墙', kind: 'wall', height_m: 2.5 },
      geometry: { type: 'LineString', coordinates: [[CENTRE[0] - 0.0008, CENTRE[1] - 0.0004], [CENTRE[0] - 0.0002, CENTRE[1] - 0.0004]] },
    };
    for (const f of [footprint, wall]) {
      const created = await api('POST', '/api/v1/obstacles', f);
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    assert.equal(await page.locator('[data-group=obstacles]').isChecked(), true);
    assert.match(await page.locator('#layer-switcher').textContent(), /遮挡物/);
    await jumpTo(page, CENTRE, 17);
    assert.deepEqual(await renderedKeys(page, ['obstacle-fill'], 'id'), ['browser-obstacle-1']);
    assert.deepEqual(await renderedKeys(page, ['obstacle-line'], 'id'), ['browser-obstacle-1', 'browser-wall-1']);
    // Drawn where the API puts them (tile coordinates are quantised: within ~0.5 m).
    const drawn = await page.evaluate(() => window.safegridMap.queryRenderedFeatures({ layers: ['obstacle-line'] })
      .map((f) => ({ id: f.properties.id, coordinates: f.geometry.coordinates })));
    for (const f of [footprint, wall]) {
      const stored = await api('GET', `/api/v1/obstacles/${f.properties.id}`);
      assert.equal(stored.status, 200);
      const want = bboxOf(stored.body.geometry.coordinates);
      const got = bboxOf(drawn.filter((d) => d.id === f.properties.id).map((d) => d.coordinates));
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(got[i] - want[i]) < 5e-6, `${f.properties.id} drawn at ${got}, API says ${want}`);
      }
    }
    await screenshot(page, 'obstacles');

    // Clicking the footprint: the inspector lists it with its kind and height.
    await clickAt([CENTRE[0] + 0.0006, CENTRE[1] + 0.0004]);
    const listed = page.locator('[data-testid=obstacles] [data-obstacle=browser-obstacle-1]');
    await listed.waitFor();
    assert.match(await listed.textContent(), /测试楼.*建筑.*高度 12 米/);

    // Below zoom 14 obstacles are not drawn; the layer switcher hides them.
    await jumpTo(page, CENTRE, 13);
    assert.deepEqual(await renderedKeys(page, ['obstacle-line'], 'id'), []);
    await jumpTo(page, CENTRE, 17);
    await page.locator('[data-group=obstacles]').uncheck();
    await settle(page);
    assert.deepEqual(await renderedKeys(page, ['obstacle-line', 'obstacle-fill'], 'id'), []);
  });
});
