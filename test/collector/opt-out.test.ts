import { describe, expect, it } from 'vitest'
import { headerRecord, isOptedOut } from '../../collector/opt-out.ts'

describe('isOptedOut', () => {
  it('honours Sec-GPC: 1 and DNT: 1 on a WHATWG Headers', () => {
    expect(isOptedOut(new Headers({ 'Sec-GPC': '1' }))).toBe(true)
    expect(isOptedOut(new Headers({ DNT: '1' }))).toBe(true)
    expect(isOptedOut(new Headers({ 'Sec-GPC': '1', DNT: '0' }))).toBe(true)
  })

  it('trims whitespace around the value', () => {
    expect(isOptedOut(headerRecord({ 'sec-gpc': ' 1 ' }))).toBe(true)
    expect(isOptedOut(headerRecord({ dnt: '\t1' }))).toBe(true)
  })

  it('treats any other value, or no header, as no signal', () => {
    expect(isOptedOut(new Headers())).toBe(false)
    expect(isOptedOut(new Headers({ 'Sec-GPC': '0', DNT: '0' }))).toBe(false)
    expect(isOptedOut(new Headers({ DNT: 'null' }))).toBe(false)
    expect(isOptedOut(new Headers({ 'Sec-GPC': '' }))).toBe(false)
    expect(isOptedOut(new Headers({ 'Sec-GPC': '11' }))).toBe(false)
  })

  it('works through the record adapter whatever the header-name case', () => {
    expect(isOptedOut(headerRecord({ 'SEC-GPC': '1' }))).toBe(true)
    expect(isOptedOut(headerRecord({ Dnt: ['1'] }))).toBe(true)
    expect(isOptedOut(headerRecord({ dnt: undefined }))).toBe(false)
  })

  it('works with a minimal adapter that returns undefined', () => {
    const map = new Map([['dnt', '1']])
    expect(isOptedOut({ get: (name) => map.get(name) })).toBe(true)
    expect(isOptedOut({ get: () => undefined })).toBe(false)
  })
})
