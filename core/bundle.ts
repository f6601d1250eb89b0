import { type BuildOptions, type BuildResult, build, type SameShape, stop } from 'esbuild'

let running = 0

/**
 * esbuild's `build` for the scripts the service bundles for browsers (the beacon, the dashboard),
 * once each per process. esbuild compiles in a child process that otherwise lives as long as the
 * service, holding about 18 MB of memory after its last build: it is stopped once no build is
 * running (a later build starts it again).
 */
export async function bundle<T extends BuildOptions>(
  options: SameShape<BuildOptions, T>,
): Promise<BuildResult<T>> {
  running++
  try {
    return await build(options)
  } finally {
    if (--running === 0) await stop()
  }
}
