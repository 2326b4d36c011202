// The map on a 420 px phone, as a grid worker uses it with one thumb, in one page from start to
// end: the page fits the screen and loads without a console error; the worker signs in, finds a
// grid by search, taps the map and reads the inspector in a bottom sheet; opens the layers
// sheet, switches a layer off and closes it; switches to English and the page still fits.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  PHONE, assertCleanPage, issueToken, newPage, openMap, renderedKeys, screenshot, settle, startBrowser, startServer,
} from './harness.mjs';

let server;
let browser;
let page;

/** Whether the element `selector` lies wholly on the 420 × 860 screen. */
async function onScreen(selector) {
  const box = await page.locator(selector).first().boundingBox();
  return box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= 420 + 0.5 && box.y + box.height <= 860 + 0.5;
}

/** The page's width in CSS pixels (wider than the screen means sideways scrolling). */
async function pageWidth() {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
}

describe('the map on a phone', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await startBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(() => assertCleanPage(page));

  test('a worker signs in, finds a grid, reads the inspector and switches layers with a thumb', async () => {
    page = await newPage(browser, server.base, { device: PHONE });
    await openMap(page, server.base);
    assert.ok(await pageWidth() <= 420, `the page is ${await pageWidth()} px wide on a 420 px screen`);
    for (const selector of ['#login-open', '[data-lang=en]', '.maplibregl-ctrl-zoom-in', '#search-input', '#layers-open']) {
      assert.ok(await onScreen(selector), `${selector} is on the screen`);
    }
    const tapTarget = await page.locator('#login-open').boundingBox();
    assert.ok(tapTarget.height >= 36, `登录 is ${tapTarget.height} px high`);
    await screenshot(page, 'phone');

    // Sign in with the token the worker was given.
    const token = await issueToken(server.base, 'worker', '网格员 手机');
    await page.tap('#login-open');
    await page.fill('#login-dialog input', token);
    await page.tap('#login-dialog [type=submit]');
    await page.locator('[data-testid=who]').waitFor({ state: 'attached' });
    assert.ok(await pageWidth() <= 420, 'signed in, the page still fits');

    // Find a grid by its code.
    const grids = await (await fetch(`${server.base}/api/v1/grids?limit=1&offset=300`)).json();
    const grid = grids.features[0].properties;
    await page.fill('#search-input', grid.code);
    const option = page.locator('#search-results li[role=option]').first();
    await option.waitFor();
    assert.ok(await onScreen('#search-results'), 'the results list is on the screen');
    await page.evaluate(() => { window.moved = new Promise((r) => window.safegridMap.once('moveend', r)); });
    await option.tap();
    await page.evaluate(() => window.moved);
    await settle(page);
    assert.ok((await renderedKeys(page, ['grid-fill'])).includes(grid.code), 'the grid is on the screen');

    // Tap the map: the inspector opens as a bottom sheet with what the API says of that spot.
    const map = await page.locator('#map canvas').boundingBox();
    const asked = page.waitForRequest((r) => r.url().includes('/api/v1/locate?'));
    await page.touchscreen.tap(map.x + map.width / 2, map.y + map.height / 3);
    const locateUrl = new URL((await asked).url());
    const expected = await (await fetch(`${server.base}${locateUrl.pathname}${locateUrl.search}`)).json();
    assert.ok(expected.grid, 'the tapped spot is in a grid');
    await page.locator('[data-testid=grid-code]').waitFor();
    assert.equal(await page.locator('[data-testid=grid-code]').textContent(), expected.grid.code);
    // Signed in as a worker, the grid's phone numbers are whole, to be called with a tap.
    const tel = await page.locator('[data-testid=grid] a.phone').first().getAttribute('href');
    assert.match(tel, /^tel:\d{11}$/);
    const sheet = await page.locator('#inspector').boundingBox();
    assert.ok(sheet.x === 0 && Math.abs(sheet.width - 420) < 1, `the inspector spans the screen: ${JSON.stringify(sheet)}`);
    assert.ok(sheet.y >= 860 * 0.4, `the inspector leaves the top of the map in view: ${JSON.stringify(sheet)}`);
    assert.ok(await onScreen('#inspector-close'), 'the inspector can be closed');
    await screenshot(page, 'phone-inspector');
    await page.tap('#inspector-close');
    assert.equal(await page.locator('#inspector').isHidden(), true);

    // The layers sheet: switch the cameras off, then close it.
    assert.equal(await page.locator('#layer-switcher').isVisible(), false, 'the layers sheet starts closed');
    await page.tap('#layers-open');
    await page.locator('#layer-switcher').waitFor();
    assert.ok(await onScreen('[data-group=cameras]'), 'the layer boxes are on the screen');
    await page.locator('[data-group=cameras]').tap();
    assert.equal(await page.evaluate(() => window.safegridMap.getLayoutProperty('camera-dot', 'visibility')), 'none');
    await page.tap('#layers-close');
    assert.equal(await page.locator('#layer-switcher').isVisible(), false);

    // The region tree in the same sheet: unfold a town, tap a village; the sheet steps aside
    // for the map and the inspector, and the cards say what the village holds.
    await page.tap('#layers-open');
    const town = page.locator('[data-testid=region-tree] > li').first();
    await town.scrollIntoViewIfNeeded();
    const toggle = await town.locator(':scope > .region-row .toggle').boundingBox();
    assert.ok(toggle.height >= 36 && toggle.width >= 36, `the unfold button is thumb-sized: ${JSON.stringify(toggle)}`);
    await town.locator(':scope > .region-row .toggle').tap();
    const village = town.locator('ul > li').first();
    await village.waitFor();
    const code = await village.getAttribute('data-code');
    await village.locator(':scope > .region-row .link').tap();
    assert.equal(await page.locator('#layer-switcher').isVisible(), false, 'the sheet stepped aside');
    await page.waitForFunction((c) => document.querySelector('[data-testid=village]')?.textContent.includes(c), code);
    assert.ok(await pageWidth() <= 420, 'with the tree used, the page still fits');

    // The attribute table opens across the bottom of the screen and fits it.
    await page.tap('#inspector-close');
    await page.tap('[data-action=table]');
    await page.locator('[data-testid=attribute-table] tbody tr').first().waitFor();
    const table = await page.locator('[data-testid=attribute-table]').boundingBox();
    assert.ok(table.x >= 0 && table.x + table.width <= 420.5, `the table fits the screen: ${JSON.stringify(table)}`);
    assert.ok(await pageWidth() <= 420, 'with the table open, the page still fits');
    await screenshot(page, 'phone-table');
    await page.tap('[data-testid=attribute-table] .close');

    // In English the page still fits.
    await page.tap('[data-lang=en]');
    assert.equal(await page.locator('#layers-open').textContent(), 'Layers');
    assert.ok(await pageWidth() <= 420, `in English the page is ${await pageWidth()} px wide`);
    assert.ok(await onScreen('#login-open, #account button'), 'the account button is on the screen');
  });
});
