// Shared by the browser tests: a real `safegrid serve` on a fresh SQLite copy of the Dongyang
// sample, Debian's Chromium driven by playwright-core (never a downloaded browser), a guard that
// records every request that would leave 127.0.0.1, and screenshots kept as test artefacts.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const ADMIN_TOKEN = 'sg_browser_test_admin_token_0123456789abcdef';
/** Where screenshots go (kept by CI as artefacts; ignored by git). */
export const ARTEFACTS = path.join(repo, 'target', 'browser-artefacts');

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
];

/** Starts `safegrid serve` on a free port with a fresh database; resolves when it listens. */
export async function startServer() {
  const bin = process.env.SAFEGRID_BIN ?? path.join(repo, 'target', 'debug', 'safegrid');
  const dir = mkdtempSync(path.join(tmpdir(), 'safegrid-web-'));
  const child = spawn(bin, ['serve', '--bind', '127.0.0.1:0'], {
    cwd: repo,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite:${path.join(dir, 'safegrid.db')}`,
      SAFEGRID_ADMIN_TOKEN: ADMIN_TOKEN,
      SAFEGRID_WEB_DIR: path.join(repo, 'web'),
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`safegrid did not start in 180 s:\n${log}`)), 180_000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /listening on (http:\/\/[0-9.:]+)\r?\n/.exec(log); // the whole line: output arrives in chunks
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`safegrid exited with ${code}:\n${log}`));
    });
  });
  return {
    base,
    async stop() {
      child.kill('SIGINT');
      await new Promise((resolve) => {
        if (child.exitCode !== null) resolve();
        else child.on('exit', resolve);
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
  });
}

/** A phone as the browser tests hold one: 420 × 860 CSS pixels, touch. */
export const PHONE = { viewport: { width: 420, height: 860 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/**
 * A fresh page on `base` whose every request is recorded; requests to anything but 127.0.0.1
 * are aborted and listed in `page.external` (each test asserts that list stays empty). A desktop
 * of 1400 × 900 unless `device` says otherwise (e.g. [`PHONE`]).
 */
export async function newPage(browser, base, { lang, device } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    ...device,
    locale: lang ?? 'zh-CN',
  });
  const page = await context.newPage();
  page.external = [];
  page.failures = [];
  page.consoleErrors = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') {
      return route.continue();
    }
    page.external.push(url.href);
    return route.abort();
  });
  page.on('requestfailed', (request) => page.failures.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => page.consoleErrors.push(String(error)));
  return page;
}

/** Opens the map at `query` and waits for MapLibre's first `idle`. */
export async function openMap(page, base, query = '') {
  await page.goto(`${base}/${query}`);
  await page.waitForFunction(() => document.body.classList.contains('map-ready')
    || document.body.classList.contains('map-failed'), null, { timeout: 120_000 });
  const failed = await page.evaluate(() => document.body.classList.contains('map-failed'));
  if (failed) throw new Error(`the map failed to start: ${page.consoleErrors.join('\n')}`);
}

/** Moves the map and resolves after the next `idle` (every tile loaded and drawn). */
export async function jumpTo(page, center, zoom) {
  await page.evaluate(([c, z]) => new Promise((resolve) => {
    const map = window.safegridMap;
    map.once('idle', () => resolve());
    map.jumpTo({ center: c, zoom: z });
  }), [center, zoom]);
}

/** Resolves once the map has drawn everything pending: asks for a frame, then waits for
 * `idle` (waiting for `idle` alone hangs when the map is idle already). */
export async function settle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.safegridMap;
    map.once('idle', () => resolve());
    map.triggerRepaint();
  }));
}

/** Distinct rendered features of the given style layers, keyed by `property`. */
export async function renderedKeys(page, layers, property = 'code') {
  return page.evaluate(([ls, prop]) => {
    const hits = window.safegridMap.queryRenderedFeatures({ layers: ls });
    return [...new Set(hits.map((f) => f.properties[prop]))].sort();
  }, [layers, property]);
}

export async function screenshot(page, name) {
  mkdirSync(ARTEFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTEFACTS, `${name}.png`) });
}

/**
 * Calls the API of `base` as `token` (the admin by default): `{ status, body }`, the body parsed
 * as JSON when it is JSON. A string `body` is sent as it is, anything else as JSON.
 */
export async function callApi(base, method, path, body, token = ADMIN_TOKEN) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Issues a token with `role` through the API (as the admin) and returns it. */
export async function issueToken(base, role, name = `浏览器测试 ${role}`) {
  const issued = await callApi(base, 'POST', '/api/v1/tokens', { name, role });
  if (issued.status !== 201) throw new Error(`issuing a ${role} token: ${JSON.stringify(issued.body)}`);
  return issued.body.token;
}

/** Signs in on `page` with `token` through the login dialog. */
export async function signIn(page, token) {
  await page.click('#login-open');
  await page.fill('#login-dialog input', token);
  await page.click('#login-dialog [type=submit]');
  await page.locator('[data-testid=who]').waitFor();
}

/**
 * What every test checks at its end: no request left 127.0.0.1 and, unless `consoleErrors` is
 * false, the page logged no errors.
 */
export function assertCleanPage(page, { consoleErrors = true } = {}) {
  if (page.external.length > 0) {
    throw new Error(`requests that would have left 127.0.0.1: ${page.external.join(', ')}`);
  }
  if (consoleErrors && page.consoleErrors.length > 0) {
    throw new Error(`errors in the page: ${page.consoleErrors.join('\n')}`);
  }
}
