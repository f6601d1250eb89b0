// @ts-check
/**
 * k6: a storefront's event traffic at a constant arrival rate, the same mix as `npm run load`
 * (demo/model/requests.js). Only for a Tally you run yourself, on your own machine or network.
 *
 *   k6 run load/ingest.js                                   # 500 events/s for 1 minute
 *   k6 run -e TALLY_URL=http://127.0.0.1:8787 -e RATE=2000 -e DURATION=5m load/ingest.js
 *
 * The collector must run with TRUST_PROXY=1 (visitors are told apart by X-Forwarded-For) and list
 * the scenario's site and origin: SITES=demo=https://shop.example (or set SITE and ORIGIN here).
 * `tally_events_accepted` counts the 202s; compare it with the warehouse after a flush.
 */
import { check } from 'k6'
import http from 'k6/http'
import { Counter } from 'k6/metrics'
import { createTraffic } from '../demo/model/requests.js'

const BASE = (__ENV.TALLY_URL || 'http://127.0.0.1:8787').replace(/\/$/, '')
const RATE = Number(__ENV.RATE || 500)

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    ingest: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: Math.max(10, Math.ceil(RATE / 50)),
      maxVUs: Math.max(50, Math.ceil(RATE / 5)),
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(99)<50'],
    checks: ['rate>0.99'],
  },
  // The collector answers tiny bodies: there is nothing to learn from keeping them.
  discardResponseBodies: true,
}

const accepted = new Counter('tally_events_accepted')

// Init code runs once per VU: each VU plays its own visitors, so VUs do not replay each other.
const traffic = createTraffic({
  site: __ENV.SITE || 'demo',
  origin: __ENV.ORIGIN || 'https://shop.example',
  visitors: Number(__ENV.VISITORS || 2000),
  seed: __VU * 7919 + 1,
})

export default function () {
  const visit = traffic.next()
  const response = http.post(`${BASE}/api/event`, visit.body, {
    headers: visit.headers,
    tags: { type: visit.type, name: 'POST /api/event' },
  })
  const ok = check(response, {
    'answered as expected (202, or 204 for an opt-out)': (r) => r.status === visit.expect,
  })
  if (ok && response.status === 202) accepted.add(1, { type: visit.type })
}
