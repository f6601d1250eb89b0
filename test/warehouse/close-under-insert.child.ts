import { openWarehouse } from '../../warehouse/client.ts'

/**
 * Run by close-under-insert.test.ts in a process of its own, since what it checks is how the
 * process ends: an embedded warehouse closed while an insert still runs in chDB, then
 * `process.exit(0)`, as the service's shutdown ends. Closed under the insert, chDB crashes the
 * process at exit (SIGSEGV or SIGABRT); a close that waits for the insert lets it exit 0.
 *
 * Arguments: the data directory, and `running` (the insert's caller still waits for it) or
 * `aborted` (its caller gave up, as the collector's shutdown flush does at its deadline: the
 * promise rejects at once and chDB writes on). Prints one JSON line: what the insert's caller knew
 * once close() was done, and what a query started after close() began was told.
 */
const [dir, variant] = process.argv.slice(2)
if (!dir || (variant !== 'running' && variant !== 'aborted')) throw new Error('usage: <dir> running|aborted')

const warehouse = await openWarehouse({ kind: 'embedded', path: dir, database: 'tally' })
// Parts already on disk: with this many rows in the table, an insert in flight at exit crashed
// chDB in 17 of 20 runs; into a near-empty table it mostly did not.
await warehouse.client.command({
  query: 'CREATE TABLE t (k UInt64, v UInt64, s String) ENGINE = MergeTree ORDER BY k',
})
await warehouse.client.command({
  query: 'INSERT INTO t SELECT number % 10000, number, toString(number) FROM numbers(3000000)',
})
const abort = new AbortController()
// What the insert's caller knows when the process exits; the process does not wait for it.
let insert = 'running'
warehouse.client
  .command({
    query: 'INSERT INTO t SELECT number, number, toString(number) FROM numbers(5000000)',
    abort_signal: abort.signal,
  })
  .then(
    () => {
      insert = 'inserted'
    },
    (error: unknown) => {
      insert = `failed: ${error instanceof Error ? error.message : String(error)}`
    },
  )
// The insert takes about a second and a half: well under way, far from done.
await new Promise((resolve) => setTimeout(resolve, 300))
if (variant === 'aborted') abort.abort()
const closing = warehouse.close()
// Not awaited either: a query the engine accepted would queue behind the insert and so wait for it.
let refused = 'pending'
warehouse.client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then(
  () => {
    refused = 'accepted'
  },
  (error: unknown) => {
    refused = error instanceof Error ? error.message : String(error)
  },
)
await closing
console.log(JSON.stringify({ insert, refused }))
process.exit(0)
