import { describe, expect, it } from 'vitest'
import { Metrics, mergeWorkerMetrics } from '../../core/metrics.ts'

describe('mergeWorkerMetrics', () => {
  const worker = (accepted: number, dropped: number, buffered: number) => {
    const metrics = new Metrics()
    metrics.counter('tally_events_accepted_total', 'Accepted.')({}, accepted)
    metrics.counter('tally_events_dropped_total', 'Dropped, by reason.')({ reason: 'bot' }, dropped)
    metrics.gauge('tally_buffered_events', 'Buffered.', () => buffered)
    return metrics.render()
  }

  it("gives each metric's HELP and TYPE once, then every worker's samples with a worker label", () => {
    const merged = mergeWorkerMetrics([
      { worker: 1, text: worker(10, 2, 5) },
      { worker: 2, text: worker(7, 0, 3) },
    ])
    expect(merged).toBe(
      [
        '# HELP tally_events_accepted_total Accepted.',
        '# TYPE tally_events_accepted_total counter',
        'tally_events_accepted_total{worker="1"} 10',
        'tally_events_accepted_total{worker="2"} 7',
        '# HELP tally_events_dropped_total Dropped, by reason.',
        '# TYPE tally_events_dropped_total counter',
        'tally_events_dropped_total{worker="1",reason="bot"} 2',
        'tally_events_dropped_total{worker="2",reason="bot"} 0',
        '# HELP tally_buffered_events Buffered.',
        '# TYPE tally_buffered_events gauge',
        'tally_buffered_events{worker="1"} 5',
        'tally_buffered_events{worker="2"} 3',
        '',
      ].join('\n'),
    )
  })

  it('keeps a metric only one worker has', () => {
    const only = new Metrics()
    only.gauge('tally_audit_violations', 'Violations.', () => 0)
    const merged = mergeWorkerMetrics([
      { worker: 1, text: only.render() },
      { worker: 2, text: worker(1, 0, 0) },
    ])
    expect(
      merged.split('\n').filter((line) => line.startsWith('# HELP tally_audit_violations')),
    ).toHaveLength(1)
    expect(merged).toContain('tally_audit_violations{worker="1"} 0')
    expect(merged).toContain('tally_events_accepted_total{worker="2"} 1')
  })
})
