import { describe, expect, it } from 'vitest'
import { DEFAULT_RECOMMEND_PROB_BEST } from '../../api/recommend/decision.ts'
import { ConfigError, FLUSH_INTERVAL_DEFAULT_MS, loadConfig } from '../../schemas/config.ts'
import { currencyOf, DEFAULT_CURRENCY } from '../../schemas/currency.ts'
import { runToExit } from '../support/run.ts'

describe('config', () => {
  it('has defaults that need nothing set', () => {
    const config = loadConfig({})
    expect(config.port).toBe(8787)
    expect(config.dataDir).toBe('./data')
    expect(config.warehouse).toEqual({ kind: 'embedded', path: './data', database: 'tally' })
    expect(config.kAnon).toBe(5)
    expect(config.flushIntervalMs).toBe(FLUSH_INTERVAL_DEFAULT_MS.embedded)
    expect(config.retentionDays).toBe(395)
    expect([...config.sites]).toEqual([['demo', ['http://localhost:8787']]])
    expect(config.trustProxy).toBe(false)
    expect(config.workers).toBe(1)
    expect(config.worker).toBeUndefined()
  })

  it('flushes every 15 s embedded and every 5 s to a server unless FLUSH_INTERVAL_MS says otherwise', () => {
    expect(FLUSH_INTERVAL_DEFAULT_MS).toEqual({ server: 5000, embedded: 15_000 })
    expect(loadConfig({}).flushIntervalMs).toBe(15_000)
    expect(loadConfig({ CLICKHOUSE_URL: 'http://localhost:8123' }).flushIntervalMs).toBe(5000)
    expect(loadConfig({ FLUSH_INTERVAL_MS: '2000' }).flushIntervalMs).toBe(2000)
    expect(
      loadConfig({ CLICKHOUSE_URL: 'http://localhost:8123', FLUSH_INTERVAL_MS: '30000' }).flushIntervalMs,
    ).toBe(30_000)
  })

  it('reads a currency per site, EUR for a site not named, and refuses a code that is not ISO 4217', () => {
    const sites = { SITES: 'shop=https://shop.example,demo=http://localhost:8787' }
    const config = loadConfig({ ...sites, CURRENCIES: 'shop=USD' })
    expect(currencyOf(config.currencies, 'shop')).toBe('USD')
    expect(currencyOf(config.currencies, 'demo')).toBe(DEFAULT_CURRENCY)
    expect(DEFAULT_CURRENCY).toBe('EUR')
    for (const bad of ['shop=usd', 'shop=XYZ', 'shop', 'shop=EURO']) {
      expect(() => loadConfig({ ...sites, CURRENCIES: bad })).toThrow(
        /^invalid configuration: CURRENCIES: ".*" is not siteId=currency, an ISO 4217 code/,
      )
    }
    expect(() => loadConfig({ ...sites, CURRENCIES: 'other=USD' })).toThrow(
      /^invalid configuration: CURRENCIES: names other, which is not one of SITES/,
    )
  })

  it('switches to a ClickHouse server when CLICKHOUSE_URL is set', () => {
    const config = loadConfig({
      CLICKHOUSE_URL: 'http://ch.internal:8123',
      CLICKHOUSE_USER: 'tally',
      CLICKHOUSE_PASSWORD: 'secret',
      CLICKHOUSE_DATABASE: 'analytics',
    })
    expect(config.warehouse).toEqual({
      kind: 'server',
      url: 'http://ch.internal:8123',
      username: 'tally',
      password: 'secret',
      database: 'analytics',
    })
  })

  it('reads a cluster for a server warehouse, and refuses one without a server', () => {
    const server = { CLICKHOUSE_URL: 'http://ch-1.internal:8123' }
    expect(loadConfig({ ...server, CLICKHOUSE_CLUSTER: 'shop_cluster' }).warehouse).toMatchObject({
      kind: 'server',
      cluster: { name: 'shop_cluster', replicated: false },
    })
    expect(
      loadConfig({ ...server, CLICKHOUSE_CLUSTER: 'shop_cluster', CLICKHOUSE_REPLICATED: '1' }).warehouse,
    ).toMatchObject({ cluster: { name: 'shop_cluster', replicated: true } })
    expect(loadConfig(server).warehouse).not.toHaveProperty('cluster')
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'shop_cluster' })).toThrow(
      /^invalid configuration: CLICKHOUSE_CLUSTER: needs CLICKHOUSE_URL/,
    )
    expect(() => loadConfig({ ...server, CLICKHOUSE_REPLICATED: '1' })).toThrow(
      /^invalid configuration: CLICKHOUSE_REPLICATED: needs CLICKHOUSE_CLUSTER/,
    )
  })

  it('reads WORKERS for a server warehouse, and refuses several processes on the embedded one', () => {
    const server = { CLICKHOUSE_URL: 'http://ch.internal:8123' }
    expect(loadConfig({ ...server, WORKERS: '4' }).workers).toBe(4)
    expect(loadConfig({ ...server, WORKERS: 'auto' }).workers).toBe('auto')
    expect(loadConfig({ WORKERS: '1' }).workers).toBe(1)
    expect(loadConfig({ ...server, WORKERS: '2', TALLY_WORKER: '2' }).worker).toBe(2)
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(
      /^invalid configuration: WORKERS: needs CLICKHOUSE_URL: the embedded warehouse lives inside one process/,
    )
    expect(() => loadConfig({ WORKERS: 'auto' })).toThrow(/WORKERS: needs CLICKHOUSE_URL/)
    for (const bad of ['0', '100', 'two', '-1', '1.5'])
      expect(() => loadConfig({ ...server, WORKERS: bad }), bad).toThrow(
        `WORKERS: must be a number of processes from 1 to 99, or auto (one per core) (got "${bad}")`,
      )
  })

  it('reads several sites and origins, and per-site query parameters', () => {
    const config = loadConfig({
      SITES: 'shop=https://shop.example, shop=https://www.shop.example,blog=http://localhost:3000',
      QUERY_PARAMS: 'shop=page|sort',
      TRUST_PROXY: 'true',
    })
    expect(config.sites.get('shop')).toEqual(['https://shop.example', 'https://www.shop.example'])
    expect(config.sites.get('blog')).toEqual(['http://localhost:3000'])
    expect([...(config.queryParams.get('shop') ?? [])]).toEqual(['page', 'sort'])
    expect(config.trustProxy).toBe(true)
  })

  it('reads RECOMMEND_PROB_BEST, 0.95 unless set (the decision rule’s default)', () => {
    expect(loadConfig({}).recommendProbBest).toBe(DEFAULT_RECOMMEND_PROB_BEST)
    expect(loadConfig({ RECOMMEND_PROB_BEST: '0.9' }).recommendProbBest).toBe(0.9)
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', K_ANON: '' }).port).toBe(8787)
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['K_ANON', '1'],
    ['RECOMMEND_PROB_BEST', '0.4'],
    ['RECOMMEND_PROB_BEST', '1'],
    ['RECOMMEND_PROB_BEST', 'sure'],
    ['FLUSH_INTERVAL_MS', '-5'],
    ['RETENTION_DAYS', '0'],
    ['SITES', 'demo'],
    ['SITES', 'demo=not-a-url'],
    ['SITES', 'demo=https://shop.example/path'],
    ['SITES', 'bad site=https://shop.example'],
    ['QUERY_PARAMS', 'demo=a b'],
    ['CLICKHOUSE_URL', 'ftp://ch'],
    ['CLICKHOUSE_DATABASE', 'tally; DROP TABLE x'],
    ['CLICKHOUSE_CLUSTER', 'shop ON CLUSTER x'],
    ['CLICKHOUSE_CLUSTER', "shop')"],
    ['CLICKHOUSE_REPLICATED', 'maybe'],
    ['DASHBOARD_TOKEN', 'short'],
    ['TRUST_PROXY', 'maybe'],
    ['LOG_LEVEL', 'loud'],
  ])('rejects %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration: ${name}: `))
  })

  it('reads the privacy budget per visitor-day, and refuses DP_EPSILON=off in production', () => {
    expect(loadConfig({}).privacy).toEqual({ mechanism: 'discrete-gaussian', epsilon: 1, delta: 1e-7 })
    expect(loadConfig({ DP_EPSILON: '0.5', DP_DELTA: '1e-9' }).privacy).toEqual({
      mechanism: 'discrete-gaussian',
      epsilon: 0.5,
      delta: 1e-9,
    })
    expect(loadConfig({ DP_EPSILON: 'off' }).privacy).toMatchObject({ mechanism: 'off', epsilon: null })
    expect(() => loadConfig({ DP_EPSILON: 'off', NODE_ENV: 'production' })).toThrow(
      /DP_EPSILON: off is refused when NODE_ENV=production/,
    )
    expect(() => loadConfig({ DP_EPSILON: '0' })).toThrow(/DP_EPSILON: must be a number above 0/)
    expect(() => loadConfig({ DP_EPSILON: 'lots' })).toThrow(/DP_EPSILON/)
    expect(() => loadConfig({ DP_DELTA: '0.5' })).toThrow(
      /DP_DELTA: must be a number above 0 and below 0.001/,
    )
  })

  it('never echoes a secret in its message', () => {
    expect(() => loadConfig({ API_TOKEN: 'tiny-secret' })).toThrow(/^(?!.*tiny-secret)/)
    expect(() => loadConfig({ CLICKHOUSE_URL: 'ftp://user:hunter2@ch' })).toThrow(/^(?!.*hunter2)/)
  })

  it('stops the process with one line naming the variable', async () => {
    const { code, output } = await runToExit(['--import', 'tsx', 'server/main.ts'], {
      ...process.env,
      K_ANON: 'many',
    })
    expect(code).toBe(1)
    // Everything it wrote, stdout and stderr: one line.
    expect(output.trim().split('\n')).toHaveLength(1)
    expect(output.trim()).toMatch(/^tally: invalid configuration: K_ANON: /)
  })
})
