/**
 * A per-site in-memory copy of the insights job's latest snapshot, keyed by its `computed_at`.
 *
 * The first read of a site waits for the load. After that every read is answered from memory,
 * and at most once per `checkEveryMs` a read starts, in the background, the cheap check (the
 * snapshot's `computed_at` in the warehouse); when it differs from the cached one the snapshot is
 * loaded again and replaces the copy once complete. Reads never wait for a check or a reload, and
 * concurrent reads share one load.
 *
 * Nothing is shared between processes: with `WORKERS` > 1 or several instances each process keeps
 * its own copy and checks on its own, so every process serves a new snapshot at most
 * `checkEveryMs` (plus one load) after the insights job wrote it, and two processes may answer
 * from different snapshots for that long. Each answer names its snapshot (`computed_at`).
 */

export type SnapshotSource<Data> = {
  /** The stored version (the snapshot's `computed_at`); cheap. */
  version(site: string): Promise<string>
  /** The snapshot of `site` as of `version`. */
  load(site: string, version: string): Promise<Data>
}

export type SnapshotCache<Data> = {
  get(site: string): Promise<Data>
}

type Entry<Data> = {
  version: string
  data: Data
  checkedAt: number
  refreshing: boolean
}

/** Builds the cache over `source`; `now` is injected so a test can move time. */
export function snapshotCache<Data>(
  source: SnapshotSource<Data>,
  options: { checkEveryMs: number; now?: () => number; onError?: (error: unknown) => void },
): SnapshotCache<Data> {
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry<Data>>()
  const first = new Map<string, Promise<Data>>()

  const fetch = async (site: string): Promise<Entry<Data>> => {
    const checkedAt = now()
    const version = await source.version(site)
    return { version, data: await source.load(site, version), checkedAt, refreshing: false }
  }

  const refresh = async (site: string, entry: Entry<Data>) => {
    entry.refreshing = true
    try {
      const version = await source.version(site)
      if (version === entry.version) {
        entry.checkedAt = now()
        return
      }
      const data = await source.load(site, version)
      entries.set(site, { version, data, checkedAt: now(), refreshing: false })
    } catch (error) {
      // The copy in memory stays; the next check is due after the interval, as after a success.
      entry.checkedAt = now()
      options.onError?.(error)
    } finally {
      entry.refreshing = false
    }
  }

  return {
    async get(site) {
      const entry = entries.get(site)
      if (entry) {
        if (!entry.refreshing && now() - entry.checkedAt >= options.checkEveryMs) void refresh(site, entry)
        return entry.data
      }
      let pending = first.get(site)
      if (!pending) {
        pending = fetch(site)
          .then((loaded) => {
            entries.set(site, loaded)
            return loaded.data
          })
          .finally(() => first.delete(site))
        first.set(site, pending)
      }
      return pending
    },
  }
}
