// Keyboard shortcuts, as the buttons' tooltips say them, and the overlay that lists them (?):
// P 绘制网格 and Esc 取消 while the planner toolbar is shown, Ctrl+Z 撤销 (planner.js), / to
// search, and MapLibre's own keys for the map. A key typed into a form field is the field's.

import { el, fill } from './dom.js';
import { t } from './i18n.js';

/** Whether `target` takes typing (so a letter there is text, not a shortcut). */
function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName));
}

/** The shortcuts the overlay lists: keys and what they do (i18n keys). */
const LIST = [
  ['?', 'keys.help'],
  ['/', 'keys.search'],
  ['P', 'planner.draw'],
  ['Ctrl+Z', 'planner.undo'],
  ['Esc', 'keys.cancel'],
  ['+ / −', 'keys.zoom'],
  ['← ↑ → ↓', 'keys.pan'],
  ['Enter', 'keys.finish'],
];

export function setupShortcuts() {
  const dialog = el('dialog', { id: 'shortcuts', 'aria-labelledby': 'shortcuts-title' });
  document.body.append(dialog);
  const render = () => fill(dialog,
    el('h2', { id: 'shortcuts-title' }, t('keys.title')),
    el('dl', { class: 'keys' }, LIST.flatMap(([key, what]) => [el('dt', {}, el('kbd', {}, key)), el('dd', {}, t(what))])),
    el('p', { class: 'muted small' }, t('keys.note')),
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => dialog.close() }, t('inspector.close'))));
  const toolbar = document.getElementById('planner-toolbar');
  const press = (action) => toolbar.querySelector(`[data-action=${action}]`)?.click();
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (e.key === '?') {
      e.preventDefault();
      render();
      if (!dialog.open) dialog.showModal();
    } else if (e.key === '/') {
      e.preventDefault();
      document.getElementById('search-input').focus();
    } else if ((e.key === 'p' || e.key === 'P') && !toolbar.hidden) {
      e.preventDefault();
      press('draw');
    } else if (e.key === 'Escape' && !toolbar.hidden && !dialog.open) {
      press('cancel');
    }
  });
}
