// @ts-check
/**
 * k6: the product team's dashboard under concurrent users: each user opens the overview, then
 * pages, the product funnel and the offers, over the last 7 or 30 days, with a short think time.
 * The same scenario as `npm run load -- --dashboard`. Only for a Tally you run yourself.
 *
 *   k6 run -e DASHBOARD_TOKEN=... load/dashboard.js
 *   k6 run -e TALLY_URL=http://127.0.0.1:8787 -e USERS=50 -e DURATION=2m -e DASHBOARD_TOKEN=... load/dashboard.js
 */
import { check, sleep } from 'k6'
import http from 'k6/http'

const BASE = (__ENV.TALLY_URL || 'http://127.0.0.1:8787').replace(/\/$/, '')
const SITE = __ENV.SITE || 'demo'
const TOKEN = __ENV.DASHBOARD_TOKEN || ''
export const ENDPOINTS = ['overview', 'pages', 'funnel', 'offers']

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    dashboard: {
      executor: 'constant-vus',
      vus: Number(__ENV.USERS || 20),
      duration: __ENV.DURATION || '1m',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<100'],
  },
}

/** @param {Date} date */
const day = (date) => date.toISOString().slice(0, 10)

export default function () {
  const days = Math.random() < 0.5 ? 7 : 30
  const to = new Date()
  const from = new Date(to.getTime() - (days - 1) * 86_400_000)
  const query = `site=${encodeURIComponent(SITE)}&from=${day(from)}&to=${day(to)}`
  for (const endpoint of ENDPOINTS) {
    const response = http.get(`${BASE}/api/stats/${endpoint}?${query}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      tags: { name: `GET /api/stats/${endpoint}` },
    })
    check(response, { [`${endpoint}: 200`]: (r) => r.status === 200 })
    sleep(0.5 + Math.random())
  }
}
