// @ts-check
import { readFileSync } from 'node:fs'

/**
 * The score of the last `npm run mutate` (reports/mutation/mutation.json) once the equivalent
 * mutants below are set aside: mutants that change the code but no behaviour any test could
 * observe. Each is named by file, mutator, replacement and the code of its line, so the list
 * survives lines moving; a listed mutant that the report no longer holds as surviving is reported,
 * so the list stays true. Fails under 95 %. docs/mutation.md explains each one and gives the
 * latest scores.
 */
const THRESHOLD = 95

/** @type {{ file: string; mutator: string; replacement: string; code: string; column?: number; why: string }[]} */
export const EQUIVALENT = [
  // labels.ts
  {
    file: 'collector/labels.ts',
    mutator: 'EqualityOperator',
    replacement: 'digit >= 9',
    code: 'if (digit > 9)',
    why: 'a doubled digit is even, never 9',
  },
  {
    file: 'collector/labels.ts',
    mutator: 'AssignmentOperator',
    replacement: 'sum -= digit',
    code: 'sum += digit',
    why: '-s % 10 is 0 exactly when s % 10 is',
  },
  {
    file: 'collector/labels.ts',
    mutator: 'Regex',
    replacement: '/[^\\s@]@[^\\s@]+/',
    code: 'const EMAIL',
    why: 'unanchored test: a run before @ matches when its last character does',
  },
  {
    file: 'collector/labels.ts',
    mutator: 'Regex',
    replacement: '/[^\\s@]+@[^\\s@]/',
    code: 'const EMAIL',
    why: 'unanchored test: a run after @ matches when its first character does',
  },
  // client-ip.ts
  {
    file: 'collector/client-ip.ts',
    mutator: 'StringLiteral',
    replacement: '"Stryker was here!"',
    code: "raw?.trim() ?? ''",
    why: 'any non-address gives the same empty answer',
  },
  {
    file: 'collector/client-ip.ts',
    mutator: 'EqualityOperator',
    replacement: 'end >= 0',
    code: 'end > 0 ?',
    why: "the text starts with '[', so ']' is never at 0",
  },
  {
    file: 'collector/client-ip.ts',
    mutator: 'StringLiteral',
    replacement: '"Stryker was here!"',
    code: 'end > 0 ?',
    why: 'any non-address gives the same empty answer',
  },
  {
    file: 'collector/client-ip.ts',
    mutator: 'EqualityOperator',
    replacement: 'zone > 0',
    code: 'if (zone >= 0)',
    why: "'%zone' alone is no address either way",
  },
  {
    file: 'collector/client-ip.ts',
    mutator: 'ConditionalExpression',
    replacement: '',
    code: 'case 4:',
    why: 'lower-casing an IPv4 address changes nothing',
  },
  // visitor-hash.ts, opt-out.ts
  {
    file: 'collector/visitor-hash.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "Buffer.from(field, 'utf8')",
    why: 'an empty encoding name is utf8, the default',
  },
  {
    file: 'collector/opt-out.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (value === undefined) continue',
    why: 'a header kept as undefined reads as absent',
  },
  // released-route.ts
  {
    file: 'api/released-route.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: "typeof handler === 'function'",
    why: 'a WeakSet holds no primitive: has() is false for one anyway',
  },
  // scrub.ts
  {
    file: 'collector/scrub.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (colons < 2 ||',
    why: 'a fast path: no window of such a run is an address',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'LogicalOperator',
    replacement: 'colons < 2 && colons < 6',
    code: 'if (colons < 2 ||',
    why: 'a fast path: no window of such a run is an address',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: 'if (colons < 2 ||',
    why: 'a fast path: no window of such a run is an address',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'cuts.some((end) => end - start >= 2',
    why: 'a window under 2 characters, or reversed (empty), is no address anyway',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'LogicalOperator',
    replacement: 'end - start >= 2 || end - start <= MAX_IPV6',
    code: 'cuts.some((end) => end - start >= 2',
    why: 'no address is longer than 45 characters',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'ArithmeticOperator',
    replacement: 'end + start',
    column: 24,
    code: 'cuts.some((end) => end - start >= 2',
    why: 'a window under 2 characters, or reversed (empty), is no address anyway',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'OptionalChaining',
    replacement: 'run.match(DIGIT).length',
    code: 'run.match(DIGIT)?.length',
    why: 'a digit run always holds a digit',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'ArithmeticOperator',
    replacement: 'run.length * 3',
    code: 'new Uint8Array(run.length / 3)',
    why: 'the extra NUL bytes are stripped with the other controls',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'EqualityOperator',
    replacement: 'i <= bytes.length',
    code: 'i < bytes.length',
    why: 'a typed array ignores a write past its end',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (text.length <= max) return text',
    why: 'clipping short, well-formed, trimmed text changes nothing',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'EqualityOperator',
    replacement: 'text.length < max',
    code: 'if (text.length <= max) return text',
    why: 'clipping short, well-formed, trimmed text changes nothing',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: '} catch {',
    why: 'undefined and null both read as no URL',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'MethodExpression',
    replacement: 'raw',
    code: 'parseHttpUrl(raw.trim())',
    why: 'the URL parser strips the same leading and trailing spaces',
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    column: 43,
    code: 'params.sort(([a], [b]) =>',
    why: "V8's sort asks only whether a comparison is negative: the second test never decides",
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    column: 43,
    code: 'params.sort(([a], [b]) =>',
    why: "V8's sort asks only whether a comparison is negative: the second test never decides",
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'EqualityOperator',
    replacement: 'a >= b',
    column: 43,
    code: 'params.sort(([a], [b]) =>',
    why: "V8's sort asks only whether a comparison is negative: the second test never decides",
  },
  {
    file: 'collector/scrub.ts',
    mutator: 'EqualityOperator',
    replacement: 'a <= b',
    column: 43,
    code: 'params.sort(([a], [b]) =>',
    why: "V8's sort asks only whether a comparison is negative: the second test never decides",
  },
  // bots.ts: the verdict cache is for speed and bounded memory, which no verdict shows.
  {
    file: 'collector/bots.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'if (verdict === undefined)',
    why: 'recomputing a cached verdict gives the same verdict',
  },
  {
    file: 'collector/bots.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'if (ua.length <= MAX_CACHED_LENGTH)',
    why: 'caching a long user agent changes no verdict',
  },
  {
    file: 'collector/bots.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (ua.length <= MAX_CACHED_LENGTH)',
    why: 'not caching changes no verdict',
  },
  {
    file: 'collector/bots.ts',
    mutator: 'EqualityOperator',
    replacement: 'ua.length < MAX_CACHED_LENGTH',
    code: 'if (ua.length <= MAX_CACHED_LENGTH)',
    why: 'caching one length less changes no verdict',
  },
  {
    file: 'collector/bots.ts',
    mutator: 'EqualityOperator',
    replacement: 'ua.length > MAX_CACHED_LENGTH',
    code: 'if (ua.length <= MAX_CACHED_LENGTH)',
    why: 'which verdicts are cached changes none of them',
  },
  {
    file: 'collector/bots.ts',
    mutator: 'ObjectLiteral',
    replacement: '{}',
    code: 'new LRUCache',
    why: 'an unbounded cache changes no verdict (only memory)',
  },
]

const DETECTED = new Set(['Killed', 'Timeout'])
const COUNTED = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage'])

/** @param {string} path */
export function score(path = 'reports/mutation/mutation.json') {
  const report = JSON.parse(readFileSync(path, 'utf8'))
  const rows = []
  const unmatched = new Set(EQUIVALENT)
  for (const [file, { mutants, source }] of Object.entries(report.files)) {
    const lines = String(source).split('\n')
    let detected = 0
    let counted = 0
    let equivalent = 0
    const survivors = []
    for (const mutant of mutants) {
      if (!COUNTED.has(mutant.status)) continue
      const code = lines[mutant.location.start.line - 1] ?? ''
      const listed = EQUIVALENT.find(
        (entry) =>
          entry.file === file &&
          entry.mutator === mutant.mutatorName &&
          (entry.replacement === '' || (mutant.replacement ?? '').includes(entry.replacement)) &&
          code.includes(entry.code) &&
          (entry.column === undefined || entry.column === mutant.location.start.column),
      )
      if (listed && !DETECTED.has(mutant.status)) {
        unmatched.delete(listed)
        equivalent++
        continue
      }
      counted++
      if (DETECTED.has(mutant.status)) detected++
      else
        survivors.push(
          `${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName} -> ${mutant.replacement ?? ''}`,
        )
    }
    rows.push({ file, detected, counted, equivalent, survivors })
  }
  const files = new Set(rows.map((row) => row.file))
  return { rows, stale: [...unmatched].filter((entry) => files.has(entry.file)) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows, stale } = score(process.argv[2])
  let detected = 0
  let counted = 0
  for (const row of rows) {
    detected += row.detected
    counted += row.counted
    const percent = row.counted ? ((100 * row.detected) / row.counted).toFixed(2) : '100.00'
    console.log(
      `${row.file}: ${percent} % (${row.detected}/${row.counted}, ${row.equivalent} equivalent set aside)`,
    )
    for (const survivor of row.survivors) console.log(`  survived: ${survivor}`)
  }
  for (const entry of stale)
    console.log(
      `  listed as equivalent but not found surviving: ${entry.file} ${entry.mutator} ${entry.code}`,
    )
  const total = counted ? (100 * detected) / counted : 100
  console.log(`mutation score without equivalent mutants: ${total.toFixed(2)} % (${detected}/${counted})`)
  if (total < THRESHOLD) process.exit(1)
}
