import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { bundle as build } from '../../core/bundle.ts'

export interface BuiltBeacon {
  code: string
  bytes: number
  gzipBytes: number
}

/** The scripts served to storefronts: the beacon, and the GA4 bridge it loads only when asked to. */
const ENTRIES = {
  beacon: fileURLToPath(new URL('./beacon.ts', import.meta.url)),
  ga4: fileURLToPath(new URL('./ga4.ts', import.meta.url)),
}
export type Script = keyof typeof ENTRIES

// One build per script and process: the scripts never change while the process runs.
const cached = new Map<Script, Promise<BuiltBeacon>>()

export async function buildBeacon(script: Script = 'beacon'): Promise<BuiltBeacon> {
  let built = cached.get(script)
  if (!built) {
    built = bundle(ENTRIES[script]).catch((error: unknown) => {
      // A failed build is not cached, so a later request can retry.
      cached.delete(script)
      throw error
    })
    cached.set(script, built)
  }
  return built
}

async function bundle(entry: string): Promise<BuiltBeacon> {
  const result = await build({
    entryPoints: [entry],
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2019',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'silent',
    // The project tsconfig's strict mode would add a "use strict" prologue the script does not need.
    tsconfigRaw: {},
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error(`esbuild produced no output for ${entry}`)
  const code = output.text
  return {
    code,
    bytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
  }
}
