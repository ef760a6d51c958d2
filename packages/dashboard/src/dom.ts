/** Attributes of `h()`: strings set as attributes, functions as `on…` listeners, false/undefined skipped. */
export type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
/** A child of `h()`: nodes, text, or nothing. */
export type Child = Node | string | number | null | undefined | false | Child[];

/** Builds an element (HTML, or SVG when `ns` is given): no innerHTML anywhere, so no markup injection. */
export function h(tag: string, attrs: Attrs = {}, children: Child[] = [], ns?: string): Element {
  const element = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** An SVG element. */
export const svg = (tag: string, attrs: Attrs = {}, children: Child[] = []) => h(tag, attrs, children, 'http://www.w3.org/2000/svg');

/** Replaces an element's children. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}
