import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * `npm start`: compiles the service (server/main.ts and everything it imports, not the npm
 * packages) into one ES module in `dist/` with esbuild, then runs it on plain Node.
 *
 * Running the TypeScript through a loader instead keeps the loader's own thread and compiler in
 * the process for its whole life: about 36 MB of resident memory, a fifth of the collector's
 * (measured: an idle process is 42 MB on plain Node and 78 MB under tsx). Compiling takes well
 * under a second. Tests and the scripts still run the sources directly (`node --import tsx`).
 *
 * `npm start` runs this with `--max-semi-space-size=8`: V8's young generation stays at 8 MB a
 * half instead of growing to 16. At 4 MB the collector's resident memory was a few MB lower, but
 * under the pinned bench's load more short-lived objects outlived two scavenges into the old
 * generation, whose full collections then came every 4–5 s with pauses of 25–38 ms: p99 at 50
 * connections 14.7–27.4 ms against 15.0–17.3 ms at 8 (docs/performance.md).
 * `--heap-growing-percent=50` lets the old generation grow to 1.5 times what the last full
 * collection kept before the next one, where V8 otherwise picks up to 4 times when collections are
 * quick, as a collector's are: under the pinned bench's load the heap held about 33 MB live and
 * grew to 108 MB between two collections (peak resident 178–190 MB against 154–166 MB with it,
 * no CPU per request that stood out of the noise; docs/performance.md).
 * `MALLOC_ARENA_MAX=2` does the same for memory outside V8's heap: glibc otherwise gives each
 * thread that allocates (the thread pool's fsyncs and file reads, V8's helpers) an arena of its
 * own, up to eight per core, and each keeps its freed pages (measured: 147 → 135 MB peak under
 * load, the same throughput).
 *
 * Each module's `import.meta.url` is replaced by its source file's URL, so that the files the
 * modules read next to themselves (the migrations, the beacon and dashboard sources, the demo
 * page) are found where they are in the checkout.
 */

const root = fileURLToPath(new URL('..', import.meta.url))

/** @type {import('esbuild').Plugin} */
const sourceUrls = {
  name: 'source-urls',
  setup(bundle) {
    bundle.onLoad({ filter: /\.tsx?$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: args.path.endsWith('.tsx') ? 'tsx' : 'ts',
    }))
  },
}

const file = join(root, 'dist', 'server.mjs')
// With WORKERS, the service's workers run this file too: the primary process compiled it for them.
if (cluster.isPrimary) await compile()

async function compile() {
  const { build, stop } = await import('esbuild')
  const result = await build({
    entryPoints: [join(root, 'server/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
    plugins: [sourceUrls],
  })
  // esbuild compiles in a child process that would otherwise live as long as the service (and
  // hold ~20 MB of memory for nothing).
  await stop()
  // Written under a name of its own, then renamed: two processes started from one checkout at once
  // never run a half-written file.
  mkdirSync(dirname(file), { recursive: true })
  const partial = `${file}.${randomBytes(6).toString('hex')}`
  writeFileSync(partial, result.outputFiles[0].contents)
  renameSync(partial, file)
}

// Stack traces name the TypeScript sources and lines.
process.setSourceMapsEnabled(true)
await import(pathToFileURL(file).href)
