/** A few lines of DOM building, so the views read as markup without a framework. */

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>
export type Kid = Node | string | number | null | undefined | false | Kid[]

const append = (parent: Element, kids: Kid[]) => {
  for (const kid of kids) {
    if (kid === null || kid === undefined || kid === false) continue
    if (Array.isArray(kid)) append(parent, kid)
    else parent.append(kid instanceof Node ? kid : String(kid))
  }
}

const assign = (element: Element, attrs: Attrs) => {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...kids: Kid[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  assign(element, attrs)
  append(element, kids)
  return element
}

const SVG = 'http://www.w3.org/2000/svg'

export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...kids: Kid[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag)
  assign(element, attrs)
  append(element, kids)
  return element
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`#${id} is missing from the page`)
  return element as T
}
