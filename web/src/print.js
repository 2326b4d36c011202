// 出图: the map as it is on screen, saved as a PNG or printed, with what a map sheet needs — a
// title, the legend of the layers shown, a scale bar, a north arrow, the date and the
// coordinate system. The sheet is drawn on a canvas from the map's own canvas (grabbed in the
// frame MapLibre has just drawn, so no `preserveDrawingBuffer` slows the live map) and the
// legend as the page shows it.

import { el, fill } from './dom.js';
import * as i18n from './i18n.js';
import { t } from './i18n.js';

const EARTH_CIRCUMFERENCE_M = 40_075_016.686;
const INK = '#1B2A38';
const MUTED = '#5A6570';

/** A round length (1, 2 or 5 × 10ⁿ metres) at most `maxM`. */
export function roundLength(maxM) {
  const power = 10 ** Math.floor(Math.log10(maxM));
  const step = [5, 2, 1].find((m) => m * power <= maxM) ?? 1;
  return step * power;
}

/** Metres per CSS pixel at the map's centre. */
function metresPerPixel(map) {
  const lat = map.getCenter().lat;
  return (EARTH_CIRCUMFERENCE_M * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** map.getZoom());
}

/** Waits for the map to finish loading what it shows, then copies the next frame it draws. */
async function grabMap(map) {
  if (!map.loaded() || !map.areTilesLoaded()) await new Promise((resolve) => map.once('idle', resolve));
  return new Promise((resolve) => {
    map.once('render', () => {
      const source = map.getCanvas();
      const copy = document.createElement('canvas');
      copy.width = source.width;
      copy.height = source.height;
      copy.getContext('2d').drawImage(source, 0, 0);
      resolve(copy);
    });
    map.triggerRepaint();
  });
}

/** The legend as the page shows it: groups of (kind, colour, label), read from `#legend`. */
function legendEntries() {
  return [...document.querySelectorAll('#legend section')].map((section) => ({
    title: section.querySelector('h4')?.textContent ?? '',
    items: [...section.querySelectorAll('li')].map((li) => {
      const swatch = li.querySelector('.swatch, .ramp');
      const kind = swatch?.classList.contains('ramp') ? 'ramp' : ['fill', 'dot', 'hatch', 'line', 'road'].find((k) => swatch?.classList.contains(k));
      const colour = swatch?.style.getPropertyValue('--c') || INK;
      const ramp = kind === 'ramp' ? (swatch.style.background.match(/#[0-9a-f]{3,8}|rgba?\([^)]*\)/gi) ?? []) : [];
      return { kind, colour, ramp, label: li.textContent.trim() };
    }),
  }));
}

function drawSwatch(ctx, { kind, colour, ramp }, x, y, s) {
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = 1.5 * s;
  if (kind === 'dot') {
    ctx.beginPath();
    ctx.arc(x + 10 * s, y + 7 * s, 5 * s, 0, 2 * Math.PI);
    ctx.fill();
  } else if (kind === 'line') {
    ctx.setLineDash([2 * s, 2 * s]);
    ctx.lineWidth = 3 * s;
    ctx.beginPath();
    ctx.moveTo(x, y + 7 * s);
    ctx.lineTo(x + 20 * s, y + 7 * s);
    ctx.stroke();
  } else if (kind === 'road') {
    ctx.fillStyle = colour;
    ctx.strokeStyle = '#B9B9B0';
    ctx.lineWidth = 1 * s;
    ctx.fillRect(x, y + 4 * s, 20 * s, 6 * s);
    ctx.strokeRect(x, y + 4 * s, 20 * s, 6 * s);
  } else if (kind === 'ramp') {
    const gradient = ctx.createLinearGradient(x, 0, x + 40 * s, 0);
    ramp.forEach((c, i) => gradient.addColorStop(ramp.length > 1 ? i / (ramp.length - 1) : 0, c));
    ctx.fillStyle = gradient;
    ctx.fillRect(x, y + 2 * s, 40 * s, 10 * s);
  } else {
    ctx.globalAlpha = kind === 'hatch' ? 1 : 0.35;
    if (kind !== 'hatch') ctx.fillRect(x, y, 20 * s, 14 * s);
    ctx.globalAlpha = 1;
    if (kind === 'hatch') ctx.setLineDash([3 * s, 2 * s]);
    ctx.strokeRect(x, y, 20 * s, 14 * s);
  }
  ctx.restore();
}

function drawNorthArrow(ctx, x, y, s) {
  ctx.save();
  ctx.fillStyle = 'rgba(255, 255, 255, .9)';
  ctx.beginPath();
  ctx.arc(x, y + 4 * s, 22 * s, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = INK;
  ctx.beginPath();
  ctx.moveTo(x, y - 14 * s);
  ctx.lineTo(x + 9 * s, y + 14 * s);
  ctx.lineTo(x, y + 8 * s);
  ctx.lineTo(x - 9 * s, y + 14 * s);
  ctx.closePath();
  ctx.fill();
  ctx.font = `600 ${11 * s}px sans-serif`;
  ctx.textAlign = 'center';
  ctx.fillText('N', x, y + 24 * s);
  ctx.restore();
}

function drawScaleBar(ctx, map, x, y, s) {
  const perPixel = metresPerPixel(map);
  const metres = roundLength(perPixel * 120);
  const width = (metres / perPixel) * s;
  const label = metres >= 1000 ? `${metres / 1000} ${t('unit.km')}` : `${metres} ${t('metres')}`;
  ctx.save();
  ctx.fillStyle = 'rgba(255, 255, 255, .9)';
  ctx.fillRect(x - 6 * s, y - 18 * s, width + 12 * s, 26 * s);
  ctx.strokeStyle = INK;
  ctx.fillStyle = INK;
  ctx.lineWidth = 2 * s;
  ctx.beginPath();
  ctx.moveTo(x, y - 6 * s);
  ctx.lineTo(x, y);
  ctx.lineTo(x + width, y);
  ctx.lineTo(x + width, y - 6 * s);
  ctx.stroke();
  ctx.font = `${11 * s}px sans-serif`;
  ctx.fillText(label, x + 2 * s, y - 8 * s);
  ctx.restore();
  return { metres, width };
}

/**
 * The map sheet as a canvas: `title` above the map, the legend beside it, a north arrow and a
 * scale bar on it, and a footer with the date and the coordinate system.
 */
export async function composeSheet(map, title) {
  const picture = await grabMap(map);
  const s = picture.width / map.getContainer().clientWidth;
  const legend = legendEntries();
  const [head, foot, side, pad] = [44 * s, 26 * s, 230 * s, 12 * s];
  const canvas = document.createElement('canvas');
  canvas.width = picture.width + side;
  canvas.height = picture.height + head + foot;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#FFFFFF';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = INK;
  ctx.font = `600 ${18 * s}px 'Noto Sans CJK SC', sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.fillText(title, pad, head / 2);
  ctx.textBaseline = 'alphabetic';
  ctx.drawImage(picture, 0, head);
  ctx.strokeStyle = INK;
  ctx.lineWidth = 1 * s;
  ctx.strokeRect(0.5 * s, head, picture.width, picture.height);
  drawNorthArrow(ctx, picture.width - 36 * s, head + 34 * s, s);
  const scale = drawScaleBar(ctx, map, pad + 6 * s, head + picture.height - 14 * s, s);

  let y = head + pad;
  const x = picture.width + pad;
  ctx.font = `600 ${14 * s}px 'Noto Sans CJK SC', sans-serif`;
  ctx.fillText(t('legend.title'), x, y + 12 * s);
  y += 24 * s;
  for (const group of legend) {
    if (y > canvas.height - foot - 20 * s) break;
    ctx.font = `600 ${12 * s}px 'Noto Sans CJK SC', sans-serif`;
    ctx.fillStyle = INK;
    ctx.fillText(group.title, x, y + 12 * s);
    y += 20 * s;
    ctx.font = `${11 * s}px 'Noto Sans CJK SC', sans-serif`;
    for (const item of group.items) {
      if (y > canvas.height - foot - 18 * s) break;
      drawSwatch(ctx, item, x, y, s);
      ctx.fillStyle = INK;
      ctx.fillText(item.label, x + (item.kind === 'ramp' ? 48 : 28) * s, y + 11 * s, side - 44 * s);
      y += 18 * s;
    }
    y += 6 * s;
  }
  ctx.fillStyle = MUTED;
  ctx.font = `${11 * s}px 'Noto Sans CJK SC', sans-serif`;
  const date = new Intl.DateTimeFormat(i18n.language(), { dateStyle: 'long', timeStyle: 'short' }).format(new Date());
  ctx.fillText(`${t('print.made')} ${date} · ${t('print.crs')} · safegrid`, pad, canvas.height - 9 * s);
  return { canvas, scale, legendGroups: legend.length };
}

/** The 出图 tool: a button beside the measure tool, a box with the title and the two ways out. */
export function setupPrint(map, defaultTitle) {
  const button = el('button', { type: 'button', 'data-action': 'print', 'aria-pressed': 'false', title: t('print.open') }, t('print.short'));
  const box = el('div', { class: 'measure-box print-box', 'data-testid': 'print', hidden: true });
  map.addControl({ onAdd: () => el('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group tool-ctrl' }, button), onRemove: () => {} }, 'top-right');
  map.getContainer().append(box);
  let title = '';
  const sheet = el('img', { class: 'print-sheet', alt: '' });
  document.body.append(sheet);

  const make = async () => {
    const status = box.querySelector('[data-testid=print-status]');
    status.textContent = t('print.drawing');
    const made = await composeSheet(map, title || defaultTitle());
    status.textContent = '';
    return made.canvas;
  };
  const save = async () => {
    const canvas = await make();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    const link = el('a', { href: URL.createObjectURL(blob), download: `${title || defaultTitle()}.png` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };
  const print = async () => {
    const canvas = await make();
    sheet.src = canvas.toDataURL('image/png');
    await sheet.decode().catch(() => {});
    document.body.classList.add('printing');
    window.addEventListener('afterprint', () => document.body.classList.remove('printing'), { once: true });
    window.print();
  };
  const render = () => {
    button.title = t('print.open');
    button.textContent = t('print.short');
    fill(box,
      el('label', { class: 'field' }, el('span', {}, t('print.title')),
        el('input', { type: 'text', value: title, placeholder: defaultTitle(), 'data-testid': 'print-title', oninput: (e) => { title = e.target.value; } })),
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'print-png', onclick: save }, t('print.png')),
        el('button', { type: 'button', 'data-action': 'print-paper', onclick: print }, t('print.paper')),
        el('button', { type: 'button', onclick: () => toggle(false) }, t('inspector.close'))),
      el('p', { class: 'muted small', 'data-testid': 'print-status', 'aria-live': 'polite' }));
  };
  const toggle = (on) => {
    box.hidden = !on;
    button.setAttribute('aria-pressed', String(on));
    if (on) render();
  };
  button.addEventListener('click', () => toggle(box.hidden));
  i18n.onLanguageChange(() => {
    if (box.hidden) {
      button.title = t('print.open');
      button.textContent = t('print.short');
    } else render();
  });
}
