/**
 * The one way the dashboard creates elements. Every value is set as text (`textContent`, text nodes)
 * or as a plain attribute, never as HTML, so an agent named `<img src=x onerror=alert(1)>` shows as
 * exactly that text. The page has no inline script or style for the Content-Security-Policy to allow.
 */

/** Attributes of `h`: `class`, `data-*`, `aria-*`, `type`, … (never `style` or `on*`, see the file comment). */
export type Attributes = Record<string, string | undefined>;

/** Create `<tag attrs…>children…</tag>`; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attributes = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    if (name === 'style' || name.startsWith('on')) throw new Error(`h(): attribute ${name} is not allowed`);
    el.setAttribute(name, value);
  }
  el.append(...children);
  return el;
}

/** The element with this `data-testid` (the page's stable hooks); throws if the page lacks it. */
export function byTestId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (el === null) throw new Error(`dashboard: no element with data-testid="${id}"`);
  return el;
}

/** Replace the children of `el`. */
export function fill(el: Element, ...children: (Node | string)[]): void {
  el.replaceChildren(...children);
}
