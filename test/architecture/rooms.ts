import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * The rooms of the house and what each may import (docs/architecture.md). A room is a top-level
 * folder; a file may import from its own room and from the rooms listed for it, nothing else.
 * Type-only imports count: a type is a dependency as much as a value.
 */
export const ROOMS: Record<string, readonly string[]> = {
  core: [],
  schemas: [],
  warehouse: ['core', 'schemas'],
  collector: ['core', 'schemas', 'warehouse'],
  aggregator: ['core', 'schemas', 'warehouse'],
  api: ['core', 'schemas', 'warehouse'],
  dashboard: ['core', 'schemas', 'api'],
  server: ['core', 'schemas', 'warehouse', 'collector', 'aggregator', 'api', 'dashboard'],
  // Beside the house: the demo and the load scripts, which start the service as a user would
  // (as a process) and share one synthetic-traffic model (demo/model/).
  demo: ['core', 'schemas', 'warehouse', 'collector', 'aggregator', 'api'],
  load: ['core', 'schemas', 'warehouse', 'collector', 'demo'],
  clients: [],
}

/**
 * Entry points a room beside the house may run, as `npm start` would: the demo seeds its data
 * and then hands the process over to the service by importing `server/main.ts` (nothing uses an
 * export of it).
 */
export const ENTRY_POINTS: Record<string, readonly string[]> = { demo: ['server/main.ts'] }

const SOURCE = /\.(ts|tsx|js|mjs)$/
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g

export type Edge = { from: string; to: string }

/** Every relative import between the rooms' source files, as paths relative to `root`. */
export function importGraph(root: string): Edge[] {
  const edges: Edge[] = []
  for (const room of Object.keys(ROOMS)) {
    for (const file of walk(join(root, room))) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(SPECIFIER)) {
        const specifier = match[1] ?? match[2]
        if (!specifier?.startsWith('.')) continue
        edges.push({
          from: relative(root, file),
          to: relative(root, resolve(dirname(file), specifier)),
        })
      }
    }
  }
  return edges
}

function walk(dir: string): string[] {
  let entries: import('node:fs').Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path)
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

export const roomOf = (path: string): string => path.split('/')[0] ?? ''

/** Imports that leave their room for one it may not use. */
export function forbidden(edges: readonly Edge[]): Edge[] {
  return edges.filter(({ from, to }) => {
    const source = roomOf(from)
    const target = roomOf(to)
    if (source === target || (ROOMS[source] ?? []).includes(target)) return false
    return !(ENTRY_POINTS[source] ?? []).includes(to)
  })
}

/** The import cycles among files (strongly connected components of more than one file). */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to])
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  let counter = 0
  const visit = (node: string) => {
    index.set(node, counter)
    low.set(node, counter++)
    stack.push(node)
    onStack.add(node)
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to)
        low.set(node, Math.min(low.get(node) ?? 0, low.get(to) ?? 0))
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node) ?? 0, index.get(to) ?? 0))
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = []
      let member: string | undefined
      do {
        member = stack.pop()
        if (member === undefined) break
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const node of next.keys()) if (!index.has(node)) visit(node)
  return found
}
