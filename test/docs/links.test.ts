import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((name) => `docs/${name}`)].filter((page) =>
  page.endsWith('.md'),
)

const LINK = /\]\(([^)\s]+)\)/g
// A cited test path: `test/` then path characters, up to whatever ends the citation.
const TEST_PATH = /(?<![\w/.-])test\/[\w./-]*[\w/]/g

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')

const anchors = (file: string) =>
  new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => slug(line.replace(/^#+ /, ''))),
  )

/** Relative links whose file, or whose anchor in that file, does not exist. */
function brokenLinks(page: string, text = readFileSync(join(root, page), 'utf8')): string[] {
  const broken: string[] = []
  for (const [, target = ''] of text.matchAll(LINK)) {
    if (/^[a-z]+:/i.test(target)) continue
    const [path = '', anchor] = target.split('#')
    const file = path ? resolve(dirname(join(root, page)), path) : join(root, page)
    if (!existsSync(file)) broken.push(`${page}: ${target}`)
    else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) broken.push(`${page}: ${target}`)
  }
  return broken
}

/** Test files and folders a page cites that do not exist. */
function missingTests(page: string, text = readFileSync(join(root, page), 'utf8')): string[] {
  return [...new Set(text.match(TEST_PATH) ?? [])]
    .filter((path) => !existsSync(join(root, path)))
    .map((path) => `${page}: ${path}`)
}

describe('the docs', () => {
  it('are the README and the pages under docs/', () => {
    expect(pages).toContain('README.md')
    expect(pages.length).toBeGreaterThan(10)
  })

  it('have no broken relative link or anchor', () => {
    expect(pages.flatMap((page) => brokenLinks(page))).toEqual([])
  })

  it('cite only tests that exist', () => {
    const cited = pages.flatMap((page) => readFileSync(join(root, page), 'utf8').match(TEST_PATH) ?? [])
    // A citation scan that finds nothing would pass any page.
    expect(cited.length).toBeGreaterThan(40)
    expect(pages.flatMap((page) => missingTests(page))).toEqual([])
  })

  it('catch a link to a missing page, a missing anchor and a missing test', () => {
    const text =
      '[a](nowhere.md) [b](privacy.md#nowhere) [c](privacy.md#scrubbing) [d](https://example.org/x)\n' +
      'see `test/nowhere/gone.test.ts`, and test/docs/links.test.ts.'
    expect(brokenLinks('docs/probe.md', text)).toEqual([
      'docs/probe.md: nowhere.md',
      'docs/probe.md: privacy.md#nowhere',
    ])
    expect(missingTests('docs/probe.md', text)).toEqual(['docs/probe.md: test/nowhere/gone.test.ts'])
  })
})
