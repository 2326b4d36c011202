// The import panel with binary files in a real headless Chromium against a real `safegrid serve`:
// an Excel workbook (.xlsx) of cameras with Chinese headers and a zipped shapefile of cameras are
// chosen in the file input, checked (a dry run imports nothing; a bad row is named), imported,
// and the rows are then read back through the API. The files are built in memory by
// tests/files.mjs, so no binary fixture is checked in.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  assertCleanPage, callApi, issueToken, newPage, openMap, signIn as signInAs, startBrowser, startServer,
} from './harness.mjs';
import { camerasShapefileZip, xlsx } from './files.mjs';

let server;
let browser;
let page;
let plannerToken;

const api = (method, path, body) => callApi(server.base, method, path, body);
const signIn = (token) => signInAs(page, token);

/** Chooses `file` for the cameras layer and presses `action` (check-file or import-file). */
async function upload(file, action) {
  await page.selectOption('[data-testid=transfer-form] [name=layer]', 'cameras');
  await page.setInputFiles('[data-testid=transfer-form] [name=file]', file);
  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/cameras/import?'));
  await page.click(`[data-action=${action}]`);
  const response = await answered;
  await page.locator('[data-testid=transfer-report]').waitFor();
  return { url: new URL(response.url()), status: response.status(), report: await page.locator('[data-testid=transfer-report]').textContent() };
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HEADER = ['设备编码', '点位名称', '经度', '纬度', '方向角', '摄像机类型', '在线状态'];

describe('uploading binary files in the import panel', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await startBrowser();
    plannerToken = await issueToken(server.base, 'planner', '规划科');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(() => assertCleanPage(page));

  test('an .xlsx of cameras with Chinese headers is checked, then imported', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await signIn(plannerToken);
    const rows = [
      HEADER,
      ['33078300001329999911', 'Excel 东街口', 120.2411, 29.2891, 90, '枪机', '离线'],
      ['33078300001329999912', 'Excel 西街口', 120.2421, 29.2901, 0, '球机', '在线'],
    ];
    const bad = ['33078300001329999913', '方位角错误', 120.2431, 29.2911, 400, '枪机', '在线'];
    const checked = await upload({ name: '点位.xlsx', mimeType: XLSX_TYPE, buffer: xlsx('点位', [...rows, bad]) }, 'check-file');
    assert.equal(checked.url.searchParams.get('format'), 'xlsx');
    assert.equal(checked.url.searchParams.get('dry_run'), 'true');
    // A bad row refuses the file: the report names the row (the header is row 1) and the reason.
    assert.equal(checked.status, 422);
    assert.match(checked.report, /^1 行数据有误（共 3 行），未导入任何数据/);
    assert.match(checked.report, /第 4 行：朝向须在 0–360 度之间/);
    // Chromium logs the refused upload itself; that one error is expected, no other.
    assert.equal(page.consoleErrors.length, 1, page.consoleErrors.join('\n'));
    assert.match(page.consoleErrors[0], /status of 422/);
    page.consoleErrors.length = 0;
    assert.equal((await api('GET', '/api/v1/cameras/33078300001329999911')).status, 404, 'a check imports nothing');
    const clean = await upload({ name: '点位.xlsx', mimeType: XLSX_TYPE, buffer: xlsx('点位', rows) }, 'check-file');
    assert.match(clean.report, /有效行 2\/2/);
    assert.equal((await api('GET', '/api/v1/cameras/33078300001329999911')).status, 404, 'a check imports nothing');

    const imported = await upload({ name: '点位.xlsx', mimeType: XLSX_TYPE, buffer: xlsx('点位', rows) }, 'import-file');
    assert.equal(imported.status, 200, imported.report);
    assert.match(imported.report, /已导入 2/);
    const east = await api('GET', '/api/v1/cameras/33078300001329999911');
    assert.equal(east.status, 200);
    assert.equal(east.body.properties.name, 'Excel 东街口');
    assert.equal(east.body.properties.status, 'offline');
    assert.equal(east.body.properties.kind, 'fixed');
    assert.equal(east.body.properties.azimuth_deg, 90);
    const [lon, lat] = east.body.geometry.coordinates;
    assert.ok(Math.abs(lon - 120.2411) < 1e-9 && Math.abs(lat - 29.2891) < 1e-9);
    const west = await api('GET', '/api/v1/cameras/33078300001329999912');
    assert.equal(west.body.properties.kind, 'ptz');
    assert.equal(west.body.properties.status, 'online');
    assert.equal((await api('GET', '/api/v1/cameras/33078300001329999913')).status, 404);
  });

  test('a zipped shapefile of cameras is checked, then imported', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await signIn(plannerToken);
    const cameras = [
      { code: '33078300001329999921', name: '形状文件 南门', azimuth: 180, lon: 120.2441, lat: 29.2881 },
      { code: '33078300001329999922', name: '形状文件 北门', azimuth: 45, lon: 120.2445, lat: 29.2921 },
    ];
    const file = { name: 'cameras.zip', mimeType: 'application/zip', buffer: camerasShapefileZip(cameras) };
    const checked = await upload(file, 'check-file');
    assert.equal(checked.url.searchParams.get('format'), 'shapefile');
    assert.match(checked.report, /有效行 2\/2/);
    assert.equal((await api('GET', `/api/v1/cameras/${cameras[0].code}`)).status, 404, 'a check imports nothing');

    const imported = await upload(file, 'import-file');
    assert.equal(imported.status, 200, imported.report);
    assert.match(imported.report, /已导入 2/);
    for (const c of cameras) {
      const got = await api('GET', `/api/v1/cameras/${c.code}`);
      assert.equal(got.status, 200, c.code);
      assert.equal(got.body.properties.name, c.name);
      assert.equal(got.body.properties.azimuth_deg, c.azimuth);
      assert.equal(got.body.properties.hfov_deg, 60);
      assert.equal(got.body.properties.range_m, 80);
      const [lon, lat] = got.body.geometry.coordinates;
      assert.ok(Math.abs(lon - c.lon) < 1e-9 && Math.abs(lat - c.lat) < 1e-9, `${c.code} at ${lon},${lat}`);
    }
  });

  test('a file checked once is the file imported: no second choice, and nothing chosen is said', async () => {
    page = await newPage(browser, server.base);
    await openMap(page, server.base);
    await signIn(plannerToken);
    await page.selectOption('[data-testid=transfer-form] [name=layer]', 'cameras');
    // 导入 with no file says so, and sends nothing.
    let sent = 0;
    page.on('request', (r) => { if (r.url().includes('/import?')) sent += 1; });
    await page.click('[data-action=import-file]');
    await page.locator('[data-testid=transfer-report]').waitFor();
    assert.match(await page.locator('[data-testid=transfer-report]').textContent(), /请先选择要导入的文件/);
    assert.equal(sent, 0);

    const csv = ['code,name,azimuth_deg,hfov_deg,range_m,kind,lon,lat',
      '33078300001329999931,先检查后导入,90,60,80,fixed,120.2437,29.2916', ''].join('\n');
    const checked = await upload({ name: '检查后导入.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) }, 'check-file');
    assert.equal(checked.status, 200, checked.report);
    assert.match(checked.report, /有效行 1\/1 · 仅检查，未导入任何数据/);
    assert.equal((await api('GET', '/api/v1/cameras/33078300001329999931')).status, 404, 'a check imports nothing');
    // The check kept the file: 导入 alone imports it and says what went in.
    assert.equal(await page.locator('[data-testid=transfer-form] [name=file]').evaluate((i) => i.files[0]?.name), '检查后导入.csv');
    const answered = page.waitForResponse((r) => r.url().includes('/api/v1/cameras/import?') && r.url().includes('dry_run=false'));
    await page.click('[data-action=import-file]');
    assert.equal((await answered).status(), 200);
    await page.waitForFunction(() => /已导入 1 · 视频监控 · 检查后导入\.csv/.test(document.querySelector('[data-testid=transfer-report]')?.textContent ?? ''));
    assert.equal((await api('GET', '/api/v1/cameras/33078300001329999931')).status, 200);
    assert.equal(sent, 2);
  });
});
