import { type Metrics, mergeWorkerMetrics } from '../core/metrics.ts'
import { isWorkerMessage, type WorkerMessage } from './workers.ts'

/**
 * `GET /metrics` in a worker (`WORKERS` > 1): every worker's series, gathered by the primary
 * process (see workers.ts), so that a scrape that lands on any worker sees them all. Also answers
 * the primary's requests for this worker's own series. Without an answer in `timeoutMs` (the
 * primary is gone), this worker's series alone.
 */
export function workerMetrics(worker: number, metrics: Metrics, timeoutMs = 3_000): () => Promise<string> {
  const pending = new Map<number, (text: string) => void>()
  let nextId = 0
  const send = (message: WorkerMessage) => process.send?.(message)
  process.on('message', (message: unknown) => {
    if (!isWorkerMessage(message)) return
    if (message.tally === 'render') send({ tally: 'rendered', id: message.id, text: metrics.render() })
    if (message.tally === 'merged') {
      pending.get(message.id)?.(message.text)
      pending.delete(message.id)
    }
  })
  return () => {
    if (!process.send) return Promise.resolve(mergeWorkerMetrics([{ worker, text: metrics.render() }]))
    return new Promise((resolve) => {
      const id = nextId++
      const timer = setTimeout(() => {
        pending.delete(id)
        resolve(mergeWorkerMetrics([{ worker, text: metrics.render() }]))
      }, timeoutMs)
      pending.set(id, (text) => {
        clearTimeout(timer)
        resolve(text)
      })
      send({ tally: 'metrics', id })
    })
  }
}
