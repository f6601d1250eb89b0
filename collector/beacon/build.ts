import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { bundle as build } from '../../core/bundle.ts'

export interface BuiltBeacon {
  code: string
  bytes: number
  gzipBytes: number
}

const entry = fileURLToPath(new URL('./beacon.ts', import.meta.url))

// One build per process: the script never changes while the process runs.
let cached: Promise<BuiltBeacon> | undefined

export async function buildBeacon(): Promise<BuiltBeacon> {
  cached ??= bundle().catch((error: unknown) => {
    // A failed build is not cached, so a later request can retry.
    cached = undefined
    throw error
  })
  return cached
}

async function bundle(): Promise<BuiltBeacon> {
  const result = await build({
    entryPoints: [entry],
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2017',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'silent',
    // The project tsconfig's strict mode would add a "use strict" prologue the script does not need.
    tsconfigRaw: {},
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error('esbuild produced no output for the beacon')
  const code = output.text
  return {
    code,
    bytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
  }
}
