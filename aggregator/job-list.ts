import type { Metrics } from '../core/metrics.ts'
import type { Config } from '../schemas/config.ts'
import type { Warehouse } from '../warehouse/client.ts'
import type { SaltStore } from '../warehouse/salts.ts'
import { finalizeSketches } from './jobs/finalize-sketches.ts'
import { computeInsights } from './jobs/insights.ts'
import { runPrivacyAudit } from './jobs/privacy-audit.ts'
import { publishReleases } from './jobs/publish.ts'
import { enforceRetention } from './jobs/retention.ts'
import { releasePlan } from './release/budget.ts'
import { MEASUREMENTS } from './release/measurements.ts'
import type { Job } from './scheduler.ts'

export type AggregatorDeps = {
  warehouse: Warehouse
  config: Pick<Config, 'kAnon' | 'retentionDays' | 'privacy'>
  metrics: Metrics
  /** The process's salt store (the collector's, so that rotation also empties its cache). */
  salts: SaltStore
  /**
   * Whether this process runs the jobs. They are idempotent, yet one process running them is
   * enough: with WORKERS, the first. The others only forget the salts it destroys.
   */
  leads: boolean
}

/**
 * The aggregator's jobs, for the scheduler (cron in UTC). The daily ones run after rotate-salts
 * (00:00), in the order their work depends on: a day is published (noised, once) and only then
 * are its sketches finalized, once their salt is gone; the audit looks after all of it. Publish
 * also runs every hour, for the hour just closed (today's live figures) and for the ISO week or
 * month just closed (the lists' coarser grains, from the exact cells each day's publication kept).
 */
export function aggregatorJobs({ warehouse, config, metrics, salts, leads }: AggregatorDeps): Job[] {
  if (!leads)
    return [
      {
        name: 'forget-salts',
        schedule: '0 0 * * *',
        runAtStart: false,
        run: async (now) => salts.forget(now),
      },
    ]
  let lastAudit: { violations: number; at: number } | undefined
  metrics.gauge(
    'tally_audit_violations',
    'Violations found by the last privacy audit (NaN until the first has run).',
    () => lastAudit?.violations ?? Number.NaN,
  )
  metrics.gauge(
    'tally_audit_last_run_timestamp_seconds',
    'When the last privacy audit finished, in seconds since the epoch (0: not yet).',
    () => lastAudit?.at ?? 0,
  )
  // The start-up audit waits for the start-up finalize, so that a restart does not report the
  // sketches that finalize is about to remove.
  let firstFinalize: Promise<unknown> | undefined
  // One plan for the process: the split of the day's budget over the measurement list.
  const plan = releasePlan(MEASUREMENTS, config.privacy, config.kAnon)
  // The hourly run stops claiming after 5 s (a shutdown waits for it; the next run goes on).
  // With DP on the insights are made from released cells: the start-up run waits for the
  // start-up publication, so that a restart's first snapshot holds what was published meanwhile.
  let firstPublish: Promise<unknown> | undefined
  // Each run claims for at most 5 s at a time, so that a shutdown waits little; a run cut short
  // goes on at once (a start after days away publishes them all, its weeks and months included,
  // before the first released insights), unless the service is stopping.
  const publish = (now: Date, stopping: () => boolean = () => false) => {
    const running = (async () => {
      for (;;) {
        const report = await publishReleases(warehouse, now, { plan, budgetMs: 5_000 })
        if (!report.stopped || stopping()) return report
      }
    })()
    firstPublish ??= running.catch(() => undefined)
    return running
  }
  return [
    { name: 'rotate-salts', schedule: '0 0 * * *', runAtStart: true, run: (now) => salts.rotate(now) },
    {
      name: 'finalize-sketches',
      schedule: '10 0 * * *',
      runAtStart: true,
      run: (now) => {
        // A day's figures are published while its sketches exist, then the sketches go: a
        // failed publication stops the finalize, which the next run (or the audit) takes up.
        const running = publishReleases(warehouse, now, { plan, grains: ['day'] }).then(() =>
          finalizeSketches(warehouse, now),
        )
        firstFinalize ??= running.catch(() => undefined)
        return running
      },
    },
    { name: 'publish', schedule: '5 * * * *', runAtStart: true, run: publish },
    {
      name: 'retention',
      schedule: '20 0 * * *',
      runAtStart: true,
      run: (now) => enforceRetention(warehouse, now, config.retentionDays),
    },
    {
      name: 'insights',
      schedule: '*/15 * * * *',
      runAtStart: true,
      run: async (now) => {
        if (config.privacy.mechanism !== 'off') await firstPublish
        return computeInsights(warehouse, now, { kAnon: config.kAnon, privacy: config.privacy })
      },
    },
    {
      name: 'privacy-audit',
      schedule: '0 1 * * *',
      runAtStart: true,
      run: async (now) => {
        await firstFinalize
        const { report, ...summary } = await runPrivacyAudit(warehouse, now, { kAnon: config.kAnon })
        lastAudit = { violations: summary.violations, at: Math.round(Date.now() / 1000) }
        return summary
      },
    },
  ]
}
