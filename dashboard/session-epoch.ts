import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'

/**
 * The dashboard's session epoch: a number every session cookie is signed with, and that signing
 * out advances, so signing out ends every session issued before it ("sign out everywhere"), the
 * stolen copy of a cookie included, while the cookie stays stateless.
 *
 * It is kept in `<dataDir>/dashboard-session-epoch`, so every process that shares the DATA_DIR
 * (the `WORKERS` of one host) and every restart sees it. Hosts with a DATA_DIR each do not share
 * it: there, changing DASHBOARD_TOKEN is what signs out everywhere (see docs/security.md).
 */
export type SessionEpoch = {
  current(): number
  /** Ends every session issued so far; returns the new epoch. */
  advance(): number
}

const FILE = 'dashboard-session-epoch'

/** The epoch kept in a file under `dataDir`, re-read only when the file was replaced. */
export function fileSessionEpoch(dataDir: string): SessionEpoch {
  const path = resolve(dataDir, FILE)
  let seen: { ino: bigint; mtime: bigint; value: number } | undefined
  const read = (): number => {
    let stat: { ino: bigint; mtimeNs: bigint }
    try {
      stat = statSync(path, { bigint: true })
    } catch {
      return 0
    }
    // Every write replaces the file by a rename, so a new inode means a new value.
    if (seen && seen.ino === stat.ino && seen.mtime === stat.mtimeNs) return seen.value
    const value = Number.parseInt(readFileSync(path, 'utf8'), 10)
    seen = { ino: stat.ino, mtime: stat.mtimeNs, value: Number.isSafeInteger(value) ? value : 0 }
    return seen.value
  }
  return {
    current: read,
    advance() {
      const next = read() + 1
      const temporary = `${path}.${process.pid}.tmp`
      writeFileSync(temporary, `${next}\n`, { mode: 0o600 })
      renameSync(temporary, path)
      return next
    },
  }
}
