// Inputs for fields that take a key (a worker id, a village code) which people know by name: as
// the user types, a <datalist> offers matching items as "name · detail · key", and the key is
// read back from the chosen option (or taken as typed when it already is one).

import { el } from './dom.js';
import { getJson } from './http.js';
import { t } from './i18n.js';

let lists = 0;
const SEP = ' · ';

/**
 * A text input named `name` whose suggestions come from `suggest(text)` (a promise of
 * `[{key, label}]`); `isKey(text)` says whether a typed text already is a key. Returns the input
 * (with its datalist after it) and `keyOf()`, the key of what is in the input, or null.
 */
export function pickerInput({ name, value = '', placeholder, label, suggest, isKey }) {
  const id = `picker-${++lists}`;
  const list = el('datalist', { id });
  const input = el('input', {
    name, value, list: id, placeholder, autocomplete: 'off', 'aria-label': label ?? placeholder,
  });
  let asked = 0;
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text || isKey(text) || text.includes(SEP)) return;
    timer = setTimeout(async () => {
      const mine = ++asked;
      const items = await suggest(text).catch(() => []);
      if (mine !== asked) return;
      list.replaceChildren(...items.map((item) => el('option', { value: `${item.label}${SEP}${item.key}` })));
    }, 200);
  });
  const keyOf = () => {
    const text = input.value.trim();
    if (isKey(text)) return text;
    const key = text.split(SEP).at(-1);
    return text.includes(SEP) && isKey(key) ? key : null;
  };
  return { input, list, keyOf };
}

/** Workers whose name (or id) holds `text`, as "name · role" (a planner's assign form). */
export async function suggestWorkers(text) {
  const page = await getJson(`/api/v1/workers?q=${encodeURIComponent(text)}&limit=20`, { accept: 'application/geo+json' });
  return page.features.map((f) => ({
    key: f.properties.id,
    label: `${f.properties.name}${SEP}${t(`role.${f.properties.role}`)}`,
  }));
}

/** Villages and communities whose name holds `text` (the division assistant's village). */
export async function suggestVillages(text) {
  const answer = await getJson(`/api/v1/search?q=${encodeURIComponent(text)}&limit=30`);
  return answer.results
    .filter((hit) => hit.layer === 'regions' && hit.key.length === 12)
    .map((hit) => ({ key: hit.key, label: hit.name }));
}
