import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { bundle as build } from '../core/bundle.ts'

/**
 * The dashboard's browser script and stylesheet, bundled by esbuild when the process starts (as
 * the beacon is), so `npm start` serves them with no separate build step. Both are plain files
 * referenced from the page, never inline, so a `script-src 'self'; style-src 'self'` policy holds.
 */
export type Asset = { body: string; type: string; etag: string }
export type Assets = { script: Asset; style: Asset; version: string }

const entry = (name: string) => fileURLToPath(new URL(`./client/${name}`, import.meta.url))

let cached: Promise<Assets> | undefined

export function buildAssets(): Promise<Assets> {
  cached ??= bundle().catch((error: unknown) => {
    // A failed build is not kept, so the next request tries again.
    cached = undefined
    throw error
  })
  return cached
}

const tag = (body: string) => createHash('sha256').update(body).digest('base64url').slice(0, 16)

async function bundle(): Promise<Assets> {
  const result = await build({
    entryPoints: { app: entry('main.ts'), styles: entry('styles.css') },
    outdir: 'ui',
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'silent',
    tsconfigRaw: {},
  })
  const text = (suffix: string) => {
    const file = result.outputFiles.find((output) => output.path.endsWith(suffix))
    if (!file) throw new Error(`esbuild produced no ${suffix} for the dashboard`)
    return file.text
  }
  const script = text('app.js')
  const style = text('styles.css')
  return {
    script: { body: script, type: 'application/javascript; charset=utf-8', etag: `"${tag(script)}"` },
    style: { body: style, type: 'text/css; charset=utf-8', etag: `"${tag(style)}"` },
    version: tag(script + style).slice(0, 10),
  }
}
