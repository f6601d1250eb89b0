import cron from 'node-cron'
import type { Logger } from '../core/logger.ts'
import { WarehouseClosedError } from '../warehouse/in-flight.ts'

export type Job = {
  name: string
  /** Cron expression, evaluated in UTC. */
  schedule: string
  runAtStart: boolean
  /** `stopping()` turns true once the scheduler is asked to stop: a long job ends its work there. */
  run: (now: Date, stopping?: () => boolean) => Promise<unknown>
}

/**
 * Runs the aggregator's jobs on their cron schedules (UTC), never two runs of one job at once,
 * logging each outcome. Jobs are idempotent, so every instance may run them.
 */
export function startScheduler(jobs: Job[], logger: Logger, now: () => Date = () => new Date()) {
  const running = new Set<Promise<unknown>>()
  let stopping = false
  const runJob = (job: Job) => {
    const started = performance.now()
    const run = job
      .run(now(), () => stopping)
      .then((result) =>
        logger.info({ job: job.name, ms: Math.round(performance.now() - started), result }, 'job done'),
      )
      .catch((error: unknown) => {
        const err = error instanceof Error ? error.message : String(error)
        // A shutdown that has waited its time for a job begins to close the warehouse: the job's
        // next query is refused and the job ends there, to be run again by the next start.
        if (stopping && error instanceof WarehouseClosedError) {
          logger.warn({ job: job.name, err }, 'job cut short by the shutdown')
        } else {
          logger.error({ job: job.name, err }, 'job failed')
        }
      })
      .finally(() => running.delete(run))
    running.add(run)
    return run
  }
  const tasks = jobs.map((job) =>
    cron.schedule(job.schedule, () => void runJob(job), { timezone: 'UTC', noOverlap: true, name: job.name }),
  )
  const initial = Promise.all(jobs.filter((job) => job.runAtStart).map(runJob))
  return {
    initial,
    /** No run starts any more; resolves once the running ones have ended. */
    async stop() {
      stopping = true
      for (const task of tasks) await task.stop()
      await Promise.all(running)
    },
  }
}
