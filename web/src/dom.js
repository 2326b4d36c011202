// Small DOM helpers shared by every panel: `el` builds an element from attributes and children,
// `fill` replaces (or, with no children, clears) a node's children. Text always goes in as text
// nodes, never as markup, so data from the server can never inject HTML.

/**
 * A `tag` element with `attrs` and `children`.
 *
 * - `attrs`: `onX` keys add an event listener for `X` (`onclick`, `onchange`, ...); `dataset`
 *   is an object merged into `node.dataset`; every other key is set as an attribute (`class`,
 *   `data-testid`, `value`, ...), `true` as an empty attribute (`hidden`, `selected`); a value
 *   that is `undefined`, `null` or `false` leaves the attribute out.
 * - `children`: nodes, or anything else as text; arrays are flattened one level; `null`,
 *   `undefined` and `false` (absent optional parts) are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces `container`'s children, skipping null/false (absent optional parts); with no
 * children it empties `container`. */
export function fill(container, ...children) {
  container.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}
