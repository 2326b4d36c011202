// Planner mode in a real headless Chromium against a real `safegrid serve` on the sample: sign
// in with a planner token, draw a grid over a sibling and see the overlap and the server's
// refusal, draw a valid one in a hole, save, reload and find it; and the version history.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  assertCleanPage, callApi, issueToken, jumpTo, newPage, openMap, renderedKeys, screenshot,
  settle, signIn as signInAs, startBrowser, startServer,
} from './harness.mjs';

let server;
let browser;
let page;
let plannerToken;

const api = (method, path, body, token) => callApi(server.base, method, path, body, token);

/** A square of half-side `d` degrees around `[lon, lat]`, as a closed ring. */
function square([lon, lat], d) {
  return [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]];
}

/** A grid of the sample with a square of half-side `d` around its vertex mean wholly inside it. */
async function gridWithRoomFor(d, skip = new Set()) {
  const page1 = await api('GET', '/api/v1/grids?bbox=120.20,29.20,120.30,29.32&limit=1000');
  const parents = new Set(page1.body.features.map((f) => f.properties.parent_code).filter(Boolean));
  for (const f of page1.body.features) {
    const code = f.properties.code;
    if (skip.has(code) || parents.has(code) || f.geometry.type !== 'Polygon' || f.properties.parent_code) continue;
    const ring = f.geometry.coordinates[0].slice(0, -1);
    const centre = [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length];
    let inside = true;
    for (const [lon, lat] of square(centre, d * 1.5)) {
      const at = await api('GET', `/api/v1/locate?lon=${lon}&lat=${lat}`);
      if (at.body.grid?.code !== code || at.body.micro_grid) {
        inside = false;
        break;
      }
    }
    if (inside) return { code, centre, feature: f };
  }
  throw new Error('no grid with room for the test square');
}

/** Removes a grid as an administrator would: its workers are unassigned first (a worker with no
 * other grid leaves), then the grid goes, leaving a hole in its community. */
async function makeHole(code) {
  const where = await api('GET', `/api/v1/grids/${code}`);
  assert.equal(where.status, 200);
  const workers = await api('GET', '/api/v1/workers?limit=10000');
  for (const w of workers.body.features) {
    if (!w.properties.grids.some((a) => a.grid === code)) continue;
    const rest = w.properties.grids.filter((a) => a.grid !== code);
    const done = rest.length
      ? await api('PUT', `/api/v1/workers/${w.properties.id}`, { ...w, properties: { ...w.properties, grids: rest } })
      : await api('DELETE', `/api/v1/workers/${w.properties.id}`);
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }
  const removed = await api('DELETE', `/api/v1/grids/${code}`);
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
}

/** Clicks the corners of `ring` on the map (polygon mode), then the first corner to close it. */
async function drawRing(ring) {
  const box = await page.locator('#map canvas').first().boundingBox();
  const pixels = await page.evaluate((coords) => coords.map((c) => window.safegridMap.project(c)), ring.slice(0, -1));
  for (const p of [...pixels, pixels[0]]) {
    await page.mouse.move(box.x + p.x, box.y + p.y, { steps: 3 });
    await page.mouse.click(box.x + p.x, box.y + p.y);
    await page.waitForTimeout(150);
  }
}

const signIn = (token) => signInAs(page, token);

/** A fresh page on the map, signed in as the planner. */
async function openAsPlanner() {
  const fresh = await newPage(browser, server.base);
  await openMap(fresh, server.base);
  await signInAs(fresh, plannerToken);
  return fresh;
}

/** Clicks the grid at `lonLat` (at z17) and presses 编辑边界 in the inspector. */
async function editGridAt(lonLat) {
  await jumpTo(page, lonLat, 17);
  const box = await page.locator('#map canvas').first().boundingBox();
  const p = await page.evaluate((c) => window.safegridMap.project(c), lonLat);
  await page.mouse.click(box.x + p.x, box.y + p.y);
  await page.locator('[data-testid=grid] [data-action=edit]').click();
}

describe('planner mode', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await startBrowser();
    plannerToken = await issueToken(server.base, 'planner', '规划科');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Refused saves log their 4xx in the console, so only the network guard applies here.
  afterEach(() => assertCleanPage(page, { consoleErrors: false }));

  test('a bad token is refused in plain words; a viewer sees no drawing tools', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await page.click('#login-open');
    await page.fill('#login-dialog input', 'sg_not_a_token');
    await page.click('#login-dialog [type=submit]');
    await page.waitForFunction(() => document.querySelector('#login-dialog .message').textContent.length > 0);
    // The server's problem code is worded in the page's language, never its English detail.
    assert.equal(await page.locator('#login-dialog .message').textContent(), '登录已失效或令牌无效，请重新登录');
    await page.click('#login-dialog [data-action=cancel]');
    await page.click('[data-lang=en]');
    await page.click('#login-open');
    await page.fill('#login-dialog input', 'sg_not_a_token');
    await page.click('#login-dialog [type=submit]');
    await page.waitForFunction(() => /sign in again/.test(document.querySelector('#login-dialog .message').textContent));
    assert.doesNotMatch(await page.locator('#login-dialog .message').textContent(), /unknown token/);
    await page.click('#login-dialog [data-action=cancel]');
    await page.click('[data-lang=zh-CN]');
    const viewer = await api('POST', '/api/v1/tokens', { name: '查看', role: 'viewer' });
    await signIn(viewer.body.token);
    assert.match(await page.locator('[data-testid=who]').textContent(), /只读/);
    assert.equal(await page.locator('#planner-toolbar').isHidden(), true);
  });

  test('drawing over a sibling shows the overlap and the server refuses to save it', async () => {
    page = await openAsPlanner();
    assert.equal(await page.locator('#planner-toolbar').isVisible(), true);
    const target = await gridWithRoomFor(0.0003);
    await jumpTo(page, target.centre, 18);
    await page.click('#planner-toolbar [data-action=draw]');
    await drawRing(square(target.centre, 0.0003));
    const overlap = page.locator('[data-testid=overlap]').first();
    await overlap.waitFor();
    assert.match(await overlap.textContent(), new RegExp(target.code));
    // The overlap is drawn on the map before saving.
    await settle(page);
    const drawn = await renderedKeys(page, ['edit-issue-fill'], 'grid');
    assert.deepEqual(drawn, [target.code]);
    await screenshot(page, 'planner-overlap');
    // 保存 cannot be pressed while the overlap stands, and the panel says why.
    assert.equal(await page.locator('[data-action=save]').isDisabled(), true);
    assert.match(await page.locator('[data-testid=save-blocked]').textContent(), /重叠/);
    // 定位 zooms to the overlap.
    const zoom = await page.evaluate(() => window.safegridMap.getZoom());
    await page.evaluate(() => { window.moved = new Promise((r) => window.safegridMap.once('moveend', r)); });
    await overlap.locator('[data-action=locate-issue]').click();
    await page.evaluate(() => window.moved);
    assert.notEqual(await page.evaluate(() => window.safegridMap.getZoom()), zoom);
    assert.ok(await page.evaluate((c) => window.safegridMap.getBounds().contains(c), target.centre), 'the overlap is in view');
    await page.click('#planner-toolbar [data-action=cancel]');
    const after = await api('GET', `/api/v1/grids/${target.code}`);
    assert.equal(after.status, 200, 'the sibling is untouched');
  });

  test('a click that would make the boundary cross itself is refused and says so', async () => {
    page = await openAsPlanner();
    const target = await gridWithRoomFor(0.0003);
    await jumpTo(page, target.centre, 18);
    await page.click('#planner-toolbar [data-action=draw]');
    const [sw, se, ne, nw] = square(target.centre, 0.0003);
    const box = await page.locator('#map canvas').first().boundingBox();
    const pixels = await page.evaluate((coords) => coords.map((c) => window.safegridMap.project(c)), [sw, ne, se, nw]);
    // sw → ne → se, then nw: the edge se–nw would cross sw–ne.
    for (const p of pixels) {
      await page.mouse.move(box.x + p.x, box.y + p.y, { steps: 3 });
      await page.mouse.click(box.x + p.x, box.y + p.y);
      await page.waitForTimeout(150);
    }
    await page.waitForFunction(() => /边界自相交/.test(document.querySelector('[data-testid=planner-hint]')?.textContent ?? ''));
    await page.click('#planner-toolbar [data-action=cancel]');
    assert.equal(await page.locator('#planner-panel').isHidden(), true);
  });

  test('editing a grid after a cancelled drawing shows that grid, not the drawing', async () => {
    page = await openAsPlanner();
    const target = await gridWithRoomFor(0.0003);
    await jumpTo(page, target.centre, 18);
    await page.click('#planner-toolbar [data-action=draw]');
    await drawRing(square(target.centre, 0.0003));
    const code = page.locator('#planner-panel form [name=code]');
    await code.waitFor();
    const drawn = await code.inputValue();
    assert.notEqual(drawn, target.code, 'a new drawing suggests a new code');
    await page.click('#planner-toolbar [data-action=cancel]');
    assert.equal(await page.locator('#planner-panel').isVisible(), false);

    // The next tool starts clean: 编辑边界 shows the grid being edited.
    await editGridAt(target.centre);
    await page.locator('[data-testid=check-report]').waitFor();
    assert.equal(await code.inputValue(), target.code);
    assert.equal(await page.locator('#planner-panel form [name=name]').inputValue(), target.feature.properties.name);
    // The panel does not cover the grid being edited: the grid lies right of it, on the map.
    await page.waitForFunction(() => !window.safegridMap.isMoving());
    const clear = await page.evaluate((ring) => {
      const map = window.safegridMap;
      const panel = document.getElementById('planner-panel').getBoundingClientRect();
      const canvas = map.getCanvas().getBoundingClientRect();
      const xs = ring.map((c) => map.project(c).x + canvas.left);
      const ys = ring.map((c) => map.project(c).y + canvas.top);
      return { gridLeft: Math.min(...xs), panelRight: panel.right, gridRight: Math.max(...xs), mapRight: canvas.right,
        gridTop: Math.min(...ys), gridBottom: Math.max(...ys), mapTop: canvas.top, mapBottom: canvas.bottom };
    }, target.feature.geometry.coordinates[0]);
    assert.ok(clear.gridLeft >= clear.panelRight && clear.gridRight <= clear.mapRight, JSON.stringify(clear));
    assert.ok(clear.gridTop >= clear.mapTop && clear.gridBottom <= clear.mapBottom, JSON.stringify(clear));
    await page.click('#planner-toolbar [data-action=cancel]');
  });

  test('keys work as the tooltips say: ? lists them, / searches, P draws, Esc cancels', async () => {
    page = await openAsPlanner();
    await page.locator('#map canvas').first().click();
    await page.keyboard.press('?');
    await page.locator('#shortcuts[open]').waitFor();
    const listed = await page.locator('#shortcuts').textContent();
    for (const key of ['P', 'Ctrl+Z', 'Esc', '/']) assert.ok(listed.includes(key), `${key} is listed`);
    assert.match(listed, /键盘快捷键/);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('shortcuts').open);
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'search-input');
    // Typed into the search box, P is a letter, not a tool.
    await page.keyboard.press('p');
    assert.equal(await page.inputValue('#search-input'), 'p');
    assert.equal(await page.locator('#planner-panel').isHidden(), true);
    await page.fill('#search-input', '');
    await page.locator('#map canvas').first().click();
    assert.equal(await page.locator('#planner-toolbar [data-action=draw]').getAttribute('title'), 'P');
    await page.keyboard.press('p');
    await page.waitForFunction(() => /绘制网格边界/.test(document.getElementById('planner-panel').textContent));
    assert.equal(await page.locator('#planner-toolbar [data-action=cancel]').getAttribute('title'), 'Esc');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.getElementById('planner-panel').hidden);
  });

  test('undo takes back a clicked point, then a moved vertex, and says when nothing is left', async () => {
    page = await openAsPlanner();
    const target = await gridWithRoomFor(0.0003);
    await jumpTo(page, target.centre, 18);
    await page.click('#planner-toolbar [data-action=draw]');
    const ring = square(target.centre, 0.0003);
    const box = await page.locator('#map canvas').first().boundingBox();
    const pixels = await page.evaluate((coords) => coords.map((c) => window.safegridMap.project(c)), ring.slice(0, -1));
    const clickCorner = async (p) => {
      await page.mouse.move(box.x + p.x, box.y + p.y, { steps: 3 });
      await page.mouse.click(box.x + p.x, box.y + p.y);
      await page.waitForTimeout(150);
    };
    const drawnRing = () => page.evaluate(() => window.safegridDraw.getSnapshot()
      .find((f) => f.geometry.type === 'Polygon')?.geometry.coordinates[0] ?? []);
    for (const p of pixels) await clickCorner(p);
    const before = (await drawnRing()).length;
    // Ctrl+Z while drawing takes back the last corner clicked.
    await page.keyboard.press('Control+z');
    await page.waitForFunction((n) => (window.safegridDraw.getSnapshot()
      .find((f) => f.geometry.type === 'Polygon')?.geometry.coordinates[0].length ?? 0) === n - 1, before);
    // Click it again and close the ring.
    await clickCorner(pixels[3]);
    await clickCorner(pixels[0]);
    await page.locator('[data-testid=check-report]').waitFor();
    const finished = await drawnRing();
    assert.equal(finished.length, 5, 'four corners and the closing one');

    // A vertex dragged, then 撤销: the vertex is back where it was.
    const corner = pixels[1];
    await page.mouse.move(box.x + corner.x, box.y + corner.y);
    await page.mouse.down();
    await page.mouse.move(box.x + corner.x + 15, box.y + corner.y + 10, { steps: 6 });
    await page.mouse.up();
    const key = (r) => JSON.stringify(r.map((c) => c.map((v) => v.toFixed(8))));
    await page.waitForFunction((was) => {
      const r = window.safegridDraw.getSnapshot().find((f) => f.geometry.type === 'Polygon')?.geometry.coordinates[0] ?? [];
      return JSON.stringify(r.map((c) => c.map((v) => v.toFixed(8)))) !== was;
    }, key(finished));
    await page.click('#planner-toolbar [data-action=undo]');
    await page.waitForFunction((was) => {
      const r = window.safegridDraw.getSnapshot().find((f) => f.geometry.type === 'Polygon')?.geometry.coordinates[0] ?? [];
      return JSON.stringify(r.map((c) => c.map((v) => v.toFixed(8)))) === was;
    }, key(finished));
    // Nothing left to take back: it says so.
    await page.click('#planner-toolbar [data-action=undo]');
    await page.waitForFunction(() => /没有可撤销的操作/.test(document.querySelector('[data-testid=planner-message]')?.textContent ?? ''));
    assert.equal(await page.locator('[data-testid=check-report]').count(), 1, 'the last check stays on screen');
    await page.click('#planner-toolbar [data-action=cancel]');
  });

  test('a valid grid drawn in a hole is saved, survives a reload and has a history', async () => {
    page = await openAsPlanner();
    // Make room: an administrator removes one grid, leaving a hole in its community.
    const hole = await gridWithRoomFor(0.0003);
    await makeHole(hole.code);
    await page.reload();
    await page.waitForFunction(() => document.body.classList.contains('map-ready'));
    await jumpTo(page, hole.centre, 18);
    await page.click('#planner-toolbar [data-action=draw]');
    await drawRing(square(hole.centre, 0.0003));
    await page.locator('[data-testid=check-report]').waitFor();
    assert.equal(await page.locator('[data-testid=overlap]').count(), 0);
    const code = await page.inputValue('.grid-form [name=code]');
    assert.match(code, new RegExp(`^${hole.code.slice(0, 12)}\\d{3}$`), 'a code in the same village is suggested');
    // The name follows the village's grids (凤凰社区第11网格), not its committee's name.
    const suggested = await page.inputValue('.grid-form [name=name]');
    assert.ok(suggested.endsWith(`第${Number(code.slice(12))}网格`), suggested);
    assert.doesNotMatch(suggested, /委会/);
    await page.fill('.grid-form [name=name]', '浏览器测试网格');

    // A corner dragged inward leaves more of the hole empty: the panel asks first, and 保存
    // waits for the answer. 撤销这次修改 puts the corner back; dragged again and kept, it saves.
    const box = await page.locator('#map canvas').first().boundingBox();
    const corner = await page.evaluate((c) => window.safegridMap.project(c), square(hole.centre, 0.0003)[2]);
    const dragIn = async () => {
      await page.mouse.move(box.x + corner.x, box.y + corner.y);
      await page.mouse.down();
      await page.mouse.move(box.x + corner.x - 25, box.y + corner.y + 25, { steps: 6 });
      await page.mouse.up();
      await page.locator('[data-testid=gap-question]').waitFor();
    };
    await dragIn();
    assert.equal(await page.locator('[data-action=save]').isDisabled(), true);
    await page.click('[data-action=undo-gap]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=gap-question]'));
    assert.equal(await page.locator('[data-action=save]').isDisabled(), false);
    await dragIn();
    await page.click('[data-action=keep-gap]');
    assert.equal(await page.locator('[data-action=save]').isDisabled(), false);
    assert.equal(await page.inputValue('.grid-form [name=name]'), '浏览器测试网格', 'the form keeps what was typed');
    await page.click('[data-action=save]');
    await page.locator('[data-testid=planner-message]').waitFor();
    assert.match(await page.locator('[data-testid=planner-message]').textContent(), new RegExp(code));
    // The gap the save left stays marked on the map.
    await settle(page);
    assert.deepEqual(await renderedKeys(page, ['edit-issue-fill'], 'kind'), ['gap']);
    const stored = await api('GET', `/api/v1/grids/${code}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.properties.name, '浏览器测试网格');

    // After a reload the new grid is on the map and found by search.
    await page.reload();
    await page.waitForFunction(() => document.body.classList.contains('map-ready'));
    await jumpTo(page, hole.centre, 17);
    assert.ok((await renderedKeys(page, ['grid-fill'])).includes(code), 'the new grid is drawn from fresh tiles');
    await page.fill('#search-input', code);
    await page.locator('#search-results li[role=option]').first().waitFor();
    assert.match(await page.locator('#search-results li[role=option]').first().textContent(), /浏览器测试网格/);
    await page.keyboard.press('Escape');

    // Its history: click inside it, open the versions.
    const canvas = await page.locator('#map canvas').first().boundingBox();
    const p = await page.evaluate((c) => window.safegridMap.project(c), hole.centre);
    await page.mouse.click(canvas.x + p.x, canvas.y + p.y);
    await page.locator('[data-testid=grid-code]').waitFor();
    assert.equal(await page.locator('[data-testid=grid-code]').textContent(), code);
    await page.click('[data-testid=grid] [data-action=history]');
    await page.locator('[data-testid=grid-history] li').first().waitFor();
    assert.equal(await page.locator('[data-testid=grid-history] li').count(), 1);
    await screenshot(page, 'planner-saved');
  });

  test('editing a boundary carries a shared vertex into the neighbour (topological editing)', async () => {
    page = await openAsPlanner();
    const target = await gridWithRoomFor(0.0002);
    const village = target.code.slice(0, 12);
    const all = await api('GET', '/api/v1/grids?limit=10000');
    const siblings = all.body.features.filter((f) => f.properties.code !== target.code
      && f.properties.code.startsWith(village) && !f.properties.parent_code && f.geometry.type === 'Polygon');
    const key = (c) => `${c[0].toFixed(9)},${c[1].toFixed(9)}`;
    const ring = target.feature.geometry.coordinates[0].slice(0, -1);
    let shared = null;
    for (const c of ring) {
      const holders = siblings.filter((f) => f.geometry.coordinates[0].some((d) => key(d) === key(c)));
      if (holders.length === 1) {
        shared = { vertex: c, neighbour: holders[0].properties.code };
        break;
      }
    }
    assert.ok(shared, 'the grid shares a vertex with one sibling');

    await editGridAt(target.centre);
    await page.locator('[data-testid=check-report]').waitFor().catch(async (e) => {
      throw new Error(`${e.message}; the panel says: ${await page.locator('#planner-panel').textContent()}`);
    });
    await jumpTo(page, shared.vertex, 18);
    await settle(page);
    const box = await page.locator('#map canvas').first().boundingBox();
    const v = await page.evaluate((c) => window.safegridMap.project(c), shared.vertex);
    await page.mouse.move(box.x + v.x, box.y + v.y);
    await page.mouse.down();
    await page.mouse.move(box.x + v.x + 12, box.y + v.y + 9, { steps: 6 });
    await page.mouse.up();
    // Where the vertex went (snapping may have pulled it onto a neighbour's edge).
    const moved = await page.evaluate((before) => {
      const k = (c) => `${c[0].toFixed(8)},${c[1].toFixed(8)}`;
      const old = new Set(before.map(k));
      const [edited] = window.safegridDraw.getSnapshot().filter((f) => f.geometry.type === 'Polygon');
      return edited.geometry.coordinates[0].find((c) => !old.has(k(c)));
    }, ring);
    assert.ok(moved, 'the vertex moved');
    await page.waitForFunction((code) => [...document.querySelectorAll('[data-testid=carried]')].some((li) => li.textContent.includes(code)), shared.neighbour);
    await settle(page);
    assert.deepEqual(await renderedKeys(page, ['edit-carried-line'], 'grid'), [shared.neighbour], 'the neighbour is drawn as it will become');
    await screenshot(page, 'planner-carried');
    await page.click('[data-action=save]');
    await page.waitForFunction(() => /同步调整相邻网格/.test(document.querySelector('[data-testid=planner-message]')?.textContent ?? ''));
    const neighbour = await api('GET', `/api/v1/grids/${shared.neighbour}`);
    const near = (c) => Math.hypot(c[0] - moved[0], c[1] - moved[1]) < 2e-6;
    assert.ok(neighbour.body.geometry.coordinates.flat(neighbour.body.geometry.type === 'Polygon' ? 1 : 2).some(near), 'the neighbour has the moved vertex');
    assert.ok(!neighbour.body.geometry.coordinates.flat(neighbour.body.geometry.type === 'Polygon' ? 1 : 2).some((c) => key(c) === key(shared.vertex)));
  });

  test('a grid drawn over its neighbours is clipped to them (avoid overlap) and fills the hole', async () => {
    page = await openAsPlanner();
    const hole = await gridWithRoomFor(0.0002);
    const gapArea = (report) => report.gaps.reduce((sum, g) => sum + g.area_m2, 0);
    const before = await api('POST', '/api/v1/grids/check', { ...hole.feature, replaces: hole.code }, plannerToken);
    await makeHole(hole.code);
    await page.reload();
    await page.waitForFunction(() => document.body.classList.contains('map-ready'));
    const ring = hole.feature.geometry.coordinates[0];
    const xs = ring.map((c) => c[0]);
    const ys = ring.map((c) => c[1]);
    const half = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) * 0.65;
    const centre = [(Math.max(...xs) + Math.min(...xs)) / 2, (Math.max(...ys) + Math.min(...ys)) / 2];
    await page.evaluate(([c, h]) => window.safegridMap.fitBounds([[c[0] - h, c[1] - h], [c[0] + h, c[1] + h]],
      { padding: { top: 220, bottom: 80, left: 400, right: 120 }, animate: false }), [centre, half]);
    await settle(page);
    await page.click('#planner-toolbar [data-action=draw]');
    await drawRing(square(centre, half));
    await page.locator('[data-testid=overlap]').first().waitFor();
    await page.click('[data-action=clip]');
    await page.waitForFunction(() => document.querySelector('[data-testid=check-report]') && !document.querySelector('[data-testid=overlap]')
      && !document.querySelector('[data-testid=check-error]'))
      .catch(async (e) => {
        throw new Error(`${e.message}; the panel says: ${await page.locator('#planner-panel').textContent()}`);
      });
    const code = await page.inputValue('.grid-form [name=code]');
    await page.click('[data-action=save]');
    await page.waitForFunction(() => /已保存网格/.test(document.querySelector('[data-testid=planner-message]')?.textContent ?? ''));
    const saved = await api('GET', `/api/v1/grids/${code}`);
    assert.equal(saved.status, 200);
    // The clipped grid fills the hole: no overlap, and no more gap than the village had before.
    const after = await api('POST', '/api/v1/grids/check', { ...saved.body, replaces: code }, plannerToken);
    assert.equal(after.body.overlaps.length, 0, JSON.stringify(after.body.overlaps));
    assert.ok(gapArea(after.body) <= gapArea(before.body) + 1, `${gapArea(after.body)} m² of gaps, ${gapArea(before.body)} before`);
  });

  test('the division assistant previews balanced grids for a community', async () => {
    page = await openAsPlanner();
    const target = await gridWithRoomFor(0.0002);
    const village = target.code.slice(0, 12);
    const expected = await api('POST', '/api/v1/grids/divide', { village, households_per_grid: 300 }, plannerToken);
    assert.equal(expected.status, 200, JSON.stringify(expected.body));
    await page.click('#planner-toolbar [data-action=divide]');
    // The village is picked by name, not by its 12-digit code.
    const villageName = (await api('GET', `/api/v1/regions/${village}`)).body.properties.name;
    await page.fill('[data-testid=division-form] [name=village]', villageName);
    await page.waitForFunction((code) => [...document.querySelectorAll('[data-testid=division-form] datalist option')]
      .some((o) => o.value.endsWith(` · ${code}`)), village);
    await page.fill('[data-testid=division-form] [name=village]', `${villageName} · ${village}`);
    await page.selectOption('[data-testid=division-form] [name=target]', 'households_per_grid');
    await page.fill('[data-testid=division-form] [name=value]', '300');
    await page.click('[data-action=propose]');
    await page.locator('[data-testid=division-summary]').waitFor();
    assert.equal(await page.locator('[data-testid=division-count]').textContent(), String(expected.body.summary.grids));
    // Whatever the evaluation says is said in words of its own, not as a generic "not valid".
    await page.waitForFunction(() => document.querySelector('[data-testid=division-checks]')
      || document.querySelector('[data-testid=division-message]'));
    assert.doesNotMatch(await page.locator('#division-panel').textContent(), /不符合要求/);
    assert.equal(await page.locator('[data-testid=division-grids] li').count(), expected.body.features.length);
    await settle(page);
    const drawn = await renderedKeys(page, ['division-fill']);
    assert.deepEqual(drawn, expected.body.features.map((f) => f.properties.code).sort(), 'every proposed grid is on the map');
    await screenshot(page, 'division');
    // Nothing covers the work: the proposal lies left of the panel, 确认采用 is on the screen
    // without scrolling, and the placement toolbar does not cover the panel.
    const layout = await page.evaluate((features) => {
      const map = window.safegridMap;
      const canvas = map.getCanvas().getBoundingClientRect();
      const xs = features.flatMap((f) => (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates.flat()).flat())
        .map((c) => map.project(c).x + canvas.left);
      const box = (id) => document.querySelector(id).getBoundingClientRect().toJSON();
      return { right: Math.max(...xs), panel: box('#division-panel'), accept: box('[data-action=accept]'), toolbar: box('#placement-toolbar') };
    }, expected.body.features);
    assert.ok(layout.right <= layout.panel.left, `the proposal ends at ${layout.right}, the panel starts at ${layout.panel.left}`);
    assert.ok(layout.accept.bottom <= layout.panel.bottom && layout.accept.bottom <= 900, `确认采用 at ${layout.accept.bottom}`);
    const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    assert.ok(!overlaps(layout.toolbar, layout.panel), JSON.stringify(layout));

    // A bad request is explained in plain words.
    await page.fill('[data-testid=division-form] [name=village]', '330783999999');
    await page.click('[data-action=propose]');
    await page.waitForFunction(() => /找不到/.test(document.querySelector('[data-testid=division-message]')?.textContent ?? ''));
    assert.match(await page.locator('[data-testid=division-message]').textContent(), /330783999999/);
  });

  test('a division is adjusted (a shared edge bends in both grids) and accepted', async () => {
    page = await openAsPlanner();
    // A village without micro-grids whose two-grid proposal is two simple polygons.
    const grids = await api('GET', '/api/v1/grids?bbox=120.20,29.20,120.30,29.32&limit=1000');
    const withMicro = new Set(grids.body.features.filter((f) => f.properties.parent_code).map((f) => f.properties.code.slice(0, 12)));
    const villages = [...new Set(grids.body.features.map((f) => f.properties.code.slice(0, 12)))].filter((v) => !withMicro.has(v));
    let village = null;
    for (const v of villages) {
      const p = await api('POST', '/api/v1/grids/divide', { village: v, grids: 2 }, plannerToken);
      if (p.status === 200 && p.body.features.every((f) => f.geometry.type === 'Polygon' && f.geometry.coordinates.length === 1)) {
        village = v;
        break;
      }
    }
    assert.ok(village, 'a village to divide');
    const before = await api('GET', '/api/v1/grids?limit=10000');
    const oldCodes = before.body.features.filter((f) => f.properties.code.startsWith(village)).map((f) => f.properties.code);

    await page.click('#planner-toolbar [data-action=divide]');
    await page.fill('[data-testid=division-form] [name=village]', village);
    await page.selectOption('[data-testid=division-form] [name=target]', 'grids');
    await page.fill('[data-testid=division-form] [name=value]', '2');
    await page.click('[data-action=propose]');
    await page.locator('[data-testid=division-checks]').waitFor();
    await page.click('[data-action=adjust]');
    await page.waitForFunction(() => window.safegridDraw?.getSnapshot().filter((f) => f.geometry.type === 'Polygon').length === 2);
    await settle(page);

    // The cut: the edge both grids share. Select the first grid and click the cut's midpoint.
    const cut = await page.evaluate(() => {
      const [a, b] = window.safegridDraw.getSnapshot().filter((f) => f.geometry.type === 'Polygon');
      const key = (c) => `${c[0].toFixed(8)},${c[1].toFixed(8)}`;
      const inB = new Set(b.geometry.coordinates[0].map(key));
      const ring = a.geometry.coordinates[0];
      for (let i = 0; i < ring.length - 1; i++) {
        if (inB.has(key(ring[i])) && inB.has(key(ring[i + 1]))) {
          window.safegridDraw.selectFeature(a.id);
          return { a: a.id, b: b.id, mid: [(ring[i][0] + ring[i + 1][0]) / 2, (ring[i][1] + ring[i + 1][1]) / 2],
            dir: [ring[i + 1][0] - ring[i][0], ring[i + 1][1] - ring[i][1]] };
        }
      }
      return null;
    });
    assert.ok(cut, 'the two grids share an edge');
    await settle(page);
    const box = await page.locator('#map canvas').first().boundingBox();
    const mid = await page.evaluate((c) => window.safegridMap.project(c), cut.mid);
    await page.mouse.click(box.x + mid.x, box.y + mid.y);
    await page.waitForFunction((id) => window.safegridDraw.getSnapshotFeature(id).geometry.coordinates[0].length
      > 0 && window.safegridDraw.getSnapshot().length >= 2, cut.b);
    // Drag the new vertex 25 px across the cut.
    const len = Math.hypot(cut.dir[0], cut.dir[1]);
    const across = [-cut.dir[1] / len, cut.dir[0] / len];
    const to = { x: mid.x + across[0] * 25, y: mid.y - across[1] * 25 };
    await page.mouse.move(box.x + mid.x, box.y + mid.y);
    await page.mouse.down();
    await page.mouse.move(box.x + to.x, box.y + to.y, { steps: 8 });
    await page.mouse.up();
    const moved = await page.evaluate(([x, y]) => window.safegridMap.unproject([x, y]).toArray(), [to.x, to.y]);
    const shared = await page.evaluate(({ a, b, moved: m }) => [a, b].map((id) => window.safegridDraw.getSnapshotFeature(id)
      .geometry.coordinates[0].some((c) => Math.hypot(c[0] - m[0], c[1] - m[1]) < 2e-6)), { a: cut.a, b: cut.b, moved });
    assert.deepEqual(shared, [true, true], 'the bent edge moved in both grids');
    // The evaluation of the adjusted division: still no overlap and no gap.
    await page.waitForFunction(() => document.querySelector('[data-testid=division-checks] [data-check=no_overlap]')?.textContent.startsWith('✓')
      && document.querySelector('[data-testid=division-checks] [data-check=no_gap]')?.textContent.startsWith('✓'));
    await screenshot(page, 'division-adjusted');

    await page.click('[data-action=accept]');
    await page.waitForFunction(() => /已采用方案/.test(document.querySelector('[data-testid=division-message]')?.textContent ?? ''))
      .catch(async (e) => {
        throw new Error(`${e.message}; the panel says: ${await page.locator('#division-panel').textContent()}`);
      });
    const after = await api('GET', '/api/v1/grids?limit=10000');
    const now = after.body.features.filter((f) => f.properties.code.startsWith(village));
    assert.equal(now.length, 2, 'the village has the two accepted grids');
    for (const code of oldCodes) assert.equal((await api('GET', `/api/v1/grids/${code}`)).status, 404, `${code} retired`);
    assert.ok(now.every((f) => f.geometry.coordinates.flat(f.geometry.type === 'Polygon' ? 1 : 2).some((c) => Math.hypot(c[0] - moved[0], c[1] - moved[1]) < 2e-6)),
      'both stored grids have the moved vertex');
  });

  test('unassigning every worker flags the grid (一格一员); assigning one clears it', async () => {
    page = await openAsPlanner();
    const before = Number(await page.locator('[data-testid=unstaffed-count]').textContent());
    const target = await gridWithRoomFor(0.0002);
    await jumpTo(page, target.centre, 17);
    const box = await page.locator('#map canvas').first().boundingBox();
    const p = await page.evaluate((c) => window.safegridMap.project(c), target.centre);
    await page.mouse.click(box.x + p.x, box.y + p.y);
    await page.locator('[data-testid=grid-code]').waitFor();
    assert.equal(await page.locator('[data-testid=grid-code]').textContent(), target.code);
    const workers = await page.locator('[data-testid=grid] .worker').evaluateAll((nodes) => nodes.map((n) => n.dataset.worker));
    assert.ok(workers.length > 0, 'the sample staffs every grid');
    for (const id of workers) {
      await page.click(`[data-testid=grid] [data-worker="${id}"] [data-action=unassign]`);
      await page.locator(`[data-testid=grid] [data-worker="${id}"]`).waitFor({ state: 'detached' });
    }
    await page.locator('[data-testid=grid-no-workers]').waitFor();
    await page.waitForFunction((n) => document.querySelector('[data-testid=unstaffed-count]').textContent === String(n), before + 1);
    const listed = await api('GET', '/api/v1/grids/without-worker');
    assert.ok(listed.body.grids.some((g) => g.code === target.code));
    await settle(page);
    assert.deepEqual(await renderedKeys(page, ['grid-unstaffed']), [target.code], 'flagged on the map');
    await screenshot(page, 'unstaffed');

    // The worker is picked by name: typing part of it offers "name · role · id".
    const wanted = (await api('GET', `/api/v1/workers/${workers[0]}`)).body.properties;
    await page.fill('[data-testid=assign-form] [name=worker]', wanted.name);
    await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid=assign-form] datalist option')]
      .some((o) => o.value.endsWith(` · ${id}`)), workers[0]);
    const offered = await page.locator('[data-testid=assign-form] datalist option').evaluateAll((nodes) => nodes.map((n) => n.value));
    const pick = offered.find((v) => v.endsWith(` · ${workers[0]}`));
    assert.ok(pick.startsWith(`${wanted.name} · `), pick);
    await page.fill('[data-testid=assign-form] [name=worker]', pick);
    await page.selectOption('[data-testid=assign-form] [name=duty]', 'leader');
    await page.click('[data-testid=assign-form] [type=submit]');
    await page.locator(`[data-testid=grid] [data-worker="${workers[0]}"]`).waitFor();
    await page.waitForFunction((n) => document.querySelector('[data-testid=unstaffed-count]').textContent === String(n), before);
    const worker = await api('GET', `/api/v1/workers/${workers[0]}`);
    assert.ok(worker.body.properties.grids.some((a) => a.grid === target.code && a.duty === 'leader'));

    // An unknown worker is explained, and nothing changes.
    await page.fill('[data-testid=assign-form] [name=worker]', 'W-nobody');
    await page.click('[data-testid=assign-form] [type=submit]');
    await page.locator('[data-testid=grid-staffing-error]').waitFor();
    assert.match(await page.locator('[data-testid=grid-staffing-error]').textContent(), /找不到/);
  });

  test('split a grid along a drawn line, then merge the halves back', async () => {
    page = await openAsPlanner();
    const target = await gridWithRoomFor(0.0002);
    const ring = target.feature.geometry.coordinates[0];
    const [west, east] = [Math.min(...ring.map((c) => c[0])), Math.max(...ring.map((c) => c[0]))];
    const [south, north] = [Math.min(...ring.map((c) => c[1])), Math.max(...ring.map((c) => c[1]))];
    const clickAt = async (lonLat) => {
      const box = await page.locator('#map canvas').first().boundingBox();
      const p = await page.evaluate((c) => window.safegridMap.project(c), lonLat);
      assert.ok(p.x > 0 && p.y > 0 && p.x < box.width && p.y < box.height, `${lonLat} is on screen`);
      await page.mouse.move(box.x + p.x, box.y + p.y, { steps: 3 });
      await page.mouse.click(box.x + p.x, box.y + p.y);
      await page.waitForTimeout(150);
    };
    const inspectAt = async (lonLat, code) => {
      await clickAt(lonLat);
      await page.waitForFunction((c) => document.querySelector('[data-testid=grid-code]')?.textContent === c, code);
    };
    const fit = () => page.evaluate(([b]) => new Promise((resolve) => {
      const map = window.safegridMap;
      map.once('moveend', resolve);
      map.fitBounds(b, { padding: 80, animate: false });
    }), [[[west, south], [east, north]]]);

    await jumpTo(page, target.centre, 16);
    await inspectAt(target.centre, target.code);
    await fit();
    await page.click('[data-testid=grid] [data-action=split]');
    const margin = (east - west) * 0.08;
    await clickAt([west - margin, target.centre[1]]);
    await clickAt([east + margin, target.centre[1]]);
    await page.click('[data-action=confirm-split]');
    await page.waitForFunction(() => /已拆分为/.test(document.querySelector('[data-testid=planner-message]')?.textContent ?? ''));
    const codes = (await page.locator('[data-testid=planner-message]').textContent()).match(/\d{15}/g);
    assert.equal(codes.length, 2, 'two new grids');
    assert.equal((await api('GET', `/api/v1/grids/${target.code}`)).status, 404, 'the old grid is retired');
    // The open inspector follows: the clicked point now lies in one of the halves.
    await page.waitForFunction((cs) => cs.includes(document.querySelector('[data-testid=grid-code]')?.textContent), codes);
    const version = await api('GET', '/healthz');
    await page.waitForFunction((v) => document.getElementById('data-version').dataset.version === String(v), version.body.snapshot_version);
    const pieces = await Promise.all(codes.map((c) => api('GET', `/api/v1/grids/${c}`)));
    assert.deepEqual(pieces.map((p) => p.status), [200, 200]);
    await settle(page);
    const drawn = await renderedKeys(page, ['grid-fill']);
    assert.ok(codes.every((c) => drawn.includes(c)), 'both halves are on the map');
    await screenshot(page, 'split');

    // Merge: inspect the northern half, pick the southern one on the map, confirm.
    const northPoint = [target.centre[0], target.centre[1] + (north - target.centre[1]) / 3];
    const southPoint = [target.centre[0], target.centre[1] - (target.centre[1] - south) / 3];
    const northCode = (await api('GET', `/api/v1/locate?lon=${northPoint[0]}&lat=${northPoint[1]}`)).body.grid.code;
    const southCode = (await api('GET', `/api/v1/locate?lon=${southPoint[0]}&lat=${southPoint[1]}`)).body.grid.code;
    assert.deepEqual([northCode, southCode].sort(), [...codes].sort());
    await inspectAt(northPoint, northCode);
    await page.click('[data-testid=grid] [data-action=merge]');
    await clickAt(southPoint);
    await page.locator('[data-testid=merge-pair]').waitFor();
    assert.match(await page.locator('[data-testid=merge-pair]').textContent(), new RegExp(southCode));
    // The grid picked to merge with is highlighted on the map.
    await page.waitForFunction((code) => window.safegridMap.queryRenderedFeatures({ layers: ['edit-merge-fill'] })
      .some((f) => f.properties.grid === code), southCode);
    await page.click('[data-action=confirm-merge]');
    await page.waitForFunction(() => /已合并为/.test(document.querySelector('[data-testid=planner-message]')?.textContent ?? ''));
    assert.equal((await api('GET', `/api/v1/grids/${northCode}`)).status, 200);
    assert.equal((await api('GET', `/api/v1/grids/${southCode}`)).status, 404);
  });

  test('a camera CSV is checked row by row, then imported; any layer downloads', async () => {
    page = await openAsPlanner();
    const header = 'code,name,azimuth_deg,hfov_deg,range_m,kind,lon,lat';
    const good = '33078300001329999901,浏览器导入点位,90,60,80,fixed,120.2417,29.2896';
    const bad = '33078300001329999902,方位角错误,400,60,80,fixed,120.2418,29.2897';
    await page.selectOption('[data-testid=transfer-form] [name=layer]', 'cameras');
    await page.setInputFiles('[data-testid=transfer-form] [name=file]',
      { name: 'cameras.csv', mimeType: 'text/csv', buffer: Buffer.from([header, good, bad, ''].join('\n')) });
    await page.click('[data-action=check-file]');
    await page.locator('[data-testid=transfer-report]').waitFor();
    const report = await page.locator('[data-testid=transfer-report]').textContent();
    assert.match(report, /第 3 行：朝向须在 0–360 度之间/, 'the bad row is named by its line, the problem in plain words');
    assert.equal((await api('GET', '/api/v1/cameras/33078300001329999901')).status, 404, 'a check imports nothing');

    await page.setInputFiles('[data-testid=transfer-form] [name=file]',
      { name: 'cameras.csv', mimeType: 'text/csv', buffer: Buffer.from([header, good, ''].join('\n')) });
    await page.click('[data-action=import-file]');
    await page.waitForFunction(() => /已导入 1/.test(document.querySelector('[data-testid=transfer-report]')?.textContent ?? ''));
    const camera = await api('GET', '/api/v1/cameras/33078300001329999901');
    assert.equal(camera.status, 200);
    assert.equal(camera.body.properties.name, '浏览器导入点位');

    const href = await page.locator('[data-testid=export-csv]').getAttribute('href');
    assert.equal(href, '/api/v1/cameras/export?format=csv');
    const download = await fetch(`${server.base}${href}`);
    assert.equal(download.status, 200);
    assert.match(download.headers.get('content-disposition'), /cameras\.csv/);
    assert.match(await download.text(), /33078300001329999901/);
  });
});
