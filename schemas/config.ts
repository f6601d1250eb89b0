import { z } from 'zod'
import { Currencies } from './currency.ts'
import { SiteId } from './events.ts'
import { DpDelta, DpEpsilon, privacyFrom } from './privacy.ts'

/**
 * The service's configuration, read from the environment once at start and passed in.
 * Every value has a sane default so `npm start` needs nothing; a bad value stops the process
 * with one line naming the variable.
 */

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback)

/**
 * How often the write buffer goes to the warehouse when `FLUSH_INTERVAL_MS` is unset. Every insert
 * costs the warehouse a fixed price (each rollup's view runs and writes a part), so fewer, larger
 * inserts are cheaper per event. Embedded, that price is paid on the collector's own core, and a
 * batch of 25,000 events (collector/write-buffer/batch-policy.ts) is only reached between two
 * flushes when they are far enough apart: 15 s embedded took the warehouse's CPU per event from
 * about 110 to 75 µs on one core (docs/performance.md, "One core against one core").
 */
export const FLUSH_INTERVAL_DEFAULT_MS = { server: 5_000, embedded: 15_000 } as const

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('0')
  .transform((value) => value === '1' || value === 'true' || value === 'yes')

const token = z.string().min(16, 'must be at least 16 characters').optional()

const Origin = z.string().refine((value) => {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '')
  } catch {
    return false
  }
}, 'must be an origin such as https://shop.example')

/** `siteId=origin` pairs, comma-separated; a site may repeat for several origins. */
const Sites = z
  .string()
  .default('demo=http://localhost:8787')
  .transform((raw, ctx) => {
    const sites = new Map<string, string[]>()
    for (const pair of raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [id = '', origin = ''] = pair.split('=', 2).map((part) => part.trim())
      const site = SiteId.safeParse(id)
      const url = Origin.safeParse(origin)
      if (!site.success || !url.success) {
        ctx.addIssue({
          code: 'custom',
          message: `"${pair}" is not siteId=origin (e.g. demo=https://shop.example)`,
        })
        return z.NEVER
      }
      sites.set(id, [...(sites.get(id) ?? []), new URL(origin).origin])
    }
    if (sites.size === 0) {
      ctx.addIssue({ code: 'custom', message: 'at least one siteId=origin pair is needed' })
      return z.NEVER
    }
    return sites
  })

/** `siteId=param|param` pairs: query parameters a site keeps besides `utm_*` (everything else is dropped). */
const QueryParams = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const keep = new Map<string, Set<string>>()
    for (const pair of raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [id = '', params = ''] = pair.split('=', 2)
      const names = params.split('|').filter(Boolean)
      if (!SiteId.safeParse(id).success || names.some((name) => !/^[A-Za-z0-9_.-]{1,64}$/.test(name))) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not siteId=param|param` })
        return z.NEVER
      }
      keep.set(id, new Set(names))
    }
    return keep
  })

/**
 * `siteId=host|host` pairs: payment hosts a site's visitors leave for and come back from (their
 * return continues the visit and is never a referral). A site not named keeps the defaults
 * (collector/sources.ts); naming it replaces them.
 */
const PaymentHosts = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const hosts = new Map<string, string[]>()
    for (const pair of raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [id = '', list = ''] = pair.split('=', 2)
      const names = list.split('|').filter(Boolean)
      if (!SiteId.safeParse(id).success || names.some((name) => !/^[a-z0-9.-]{1,253}$/i.test(name))) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not siteId=host|host` })
        return z.NEVER
      }
      hosts.set(
        id,
        names.map((name) => name.toLowerCase()),
      )
    }
    return hosts
  })

export const ConfigSchema = z
  .object({
    PORT: int(0, 65_535, 8787),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./data'),
    CLICKHOUSE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    CLICKHOUSE_USER: z.string().default('default'),
    CLICKHOUSE_PASSWORD: z.string().default(''),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a plain identifier such as tally')
      .default('tally'),
    /** A cluster named in the servers' `remote_servers`; unset for one server (or chDB). */
    CLICKHOUSE_CLUSTER: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
        'must be a cluster name from remote_servers, a plain identifier',
      )
      .optional(),
    CLICKHOUSE_REPLICATED: flag,
    SITES: Sites,
    QUERY_PARAMS: QueryParams,
    PAYMENT_HOSTS: PaymentHosts,
    CURRENCIES: Currencies,
    K_ANON: int(2, 1000, 5),
    // The P(best) at which /api/v1/recommend and the dashboard call a variant recommended.
    RECOMMEND_PROB_BEST: z.coerce.number().min(0.5).max(0.9999).default(0.95),
    /** ε per visitor-day of every released figure, or `off` (no noise; refused in production). */
    DP_EPSILON: DpEpsilon,
    /** δ per visitor-day. */
    DP_DELTA: DpDelta,
    NODE_ENV: z.string().optional(),
    // Unset: FLUSH_INTERVAL_DEFAULT_MS for the warehouse's kind.
    FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).optional(),
    SPOOL_MAX_MB: int(1, 1_000_000, 256),
    WAL_FSYNC_MS: int(0, 10_000, 100),
    RATE_LIMIT: int(0, 1_000_000, 600),
    REQUEST_TIMEOUT_MS: int(1000, 300_000, 10_000),
    RETENTION_DAYS: int(1, 3650, 395),
    DASHBOARD_TOKEN: token,
    API_TOKEN: token,
    ADMIN_TOKEN: token,
    TRUST_PROXY: flag,
    /** Processes serving HTTP: a number, or `auto` for one per core. Several need CLICKHOUSE_URL. */
    WORKERS: z
      .string()
      .regex(/^(auto|[1-9][0-9]?)$/, 'must be a number of processes from 1 to 99, or auto (one per core)')
      .default('1')
      .transform((value) => (value === 'auto' ? ('auto' as const) : Number(value))),
    /** Set by the primary process for each worker it starts (1, 2, ...); unset otherwise. */
    TALLY_WORKER: z.coerce.number().int().min(1).max(99).optional(),
    /** Fault injection for the crash tests only; unset in any real deployment. */
    TALLY_FAILPOINT: z.enum(['crash-after-insert']).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.CLICKHOUSE_CLUSTER && !env.CLICKHOUSE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLICKHOUSE_CLUSTER'],
        message: 'needs CLICKHOUSE_URL: the embedded warehouse cannot be part of a cluster',
      })
    }
    if (env.CLICKHOUSE_REPLICATED && !env.CLICKHOUSE_CLUSTER) {
      ctx.addIssue({
        code: 'custom',
        path: ['CLICKHOUSE_REPLICATED'],
        message: 'needs CLICKHOUSE_CLUSTER: replicated tables are made on a cluster',
      })
    }
    for (const site of env.CURRENCIES.keys()) {
      if (!env.SITES.has(site)) {
        ctx.addIssue({
          code: 'custom',
          path: ['CURRENCIES'],
          message: `names ${site}, which is not one of SITES`,
        })
      }
    }
    if (env.DP_EPSILON === 'off' && env.NODE_ENV === 'production') {
      ctx.addIssue({
        code: 'custom',
        path: ['DP_EPSILON'],
        message: 'off is refused when NODE_ENV=production: released figures must carry noise',
      })
    }
    if (env.WORKERS !== 1 && !env.CLICKHOUSE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKERS'],
        message: 'needs CLICKHOUSE_URL: the embedded warehouse lives inside one process',
      })
    }
  })
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    dataDir: env.DATA_DIR,
    warehouse: env.CLICKHOUSE_URL
      ? {
          kind: 'server' as const,
          url: env.CLICKHOUSE_URL,
          username: env.CLICKHOUSE_USER,
          password: env.CLICKHOUSE_PASSWORD,
          database: env.CLICKHOUSE_DATABASE,
          ...(env.CLICKHOUSE_CLUSTER
            ? { cluster: { name: env.CLICKHOUSE_CLUSTER, replicated: env.CLICKHOUSE_REPLICATED } }
            : {}),
        }
      : { kind: 'embedded' as const, path: env.DATA_DIR, database: env.CLICKHOUSE_DATABASE },
    sites: env.SITES,
    queryParams: env.QUERY_PARAMS,
    paymentHosts: env.PAYMENT_HOSTS,
    /** Per site, the ISO 4217 currency of its order values (currencyOf: DEFAULT_CURRENCY if unnamed). */
    currencies: env.CURRENCIES as ReadonlyMap<string, string>,
    kAnon: env.K_ANON,
    recommendProbBest: env.RECOMMEND_PROB_BEST,
    /** The guarantee of released figures per visitor-day (docs/privacy.md). */
    privacy: privacyFrom(env.DP_EPSILON, env.DP_DELTA, env.NODE_ENV === 'production'),
    flushIntervalMs:
      env.FLUSH_INTERVAL_MS ?? FLUSH_INTERVAL_DEFAULT_MS[env.CLICKHOUSE_URL ? 'server' : 'embedded'],
    /** The write-ahead log's size limit in bytes: past it the collector answers 503. */
    spoolMaxBytes: env.SPOOL_MAX_MB * 1024 * 1024,
    /**
     * 0: a 202 waits for the write-ahead log's fsync (survives a power loss). n: a 202 waits for
     * the write only (survives any crash of the process) and the log is fsynced every n ms.
     */
    walFsyncMs: env.WAL_FSYNC_MS,
    /** Events per minute per client (keyed hash of the address); 0 turns the limit off. */
    rateLimit: env.RATE_LIMIT,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    retentionDays: env.RETENTION_DAYS,
    tokens: { dashboard: env.DASHBOARD_TOKEN, api: env.API_TOKEN, admin: env.ADMIN_TOKEN },
    trustProxy: env.TRUST_PROXY,
    workers: env.WORKERS,
    /** This process's number among several (`WORKERS`); undefined when it is the only one. */
    worker: env.TALLY_WORKER,
    logLevel: env.LOG_LEVEL,
    failpoint: env.TALLY_FAILPOINT,
  }))

export type Config = z.infer<typeof ConfigSchema>
export type WarehouseConfig = Config['warehouse']
/** Set when the warehouse is a ClickHouse cluster: `ON CLUSTER` DDL, local and Distributed tables. */
export type ClusterConfig = { readonly name: string; readonly replicated: boolean }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses the environment; throws a ConfigError whose message names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "not set", as in a `.env` file with `FOO=`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  )
  const parsed = ConfigSchema.safeParse(present)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment')
    const shown = /TOKEN|PASSWORD|URL/.test(name) ? '' : ` (got "${present[name] ?? ''}")`
    return `${name}: ${issue.message}${shown}`
  })
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
}
