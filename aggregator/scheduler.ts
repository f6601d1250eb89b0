import cron from 'node-cron'
import type { Logger } from '../core/logger.ts'

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
      .catch((error: unknown) =>
        logger.error(
          { job: job.name, err: error instanceof Error ? error.message : String(error) },
          'job failed',
        ),
      )
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
    async stop() {
      stopping = true
      for (const task of tasks) await task.stop()
      await Promise.all(running)
    },
  }
}
