/**
 * Where to go after signing in: a path on this site, as a browser will read it. The check is made
 * on the URL the browser would parse, not on the raw text: browsers drop tabs and line breaks from
 * a URL, so `/\t/evil.example` is `//evil.example`, another site. Control characters are refused
 * outright (they also cannot go into a Location header), and what is returned is the parsed URL's
 * own path, query and fragment, re-serialised, so it is always a valid header value.
 */
export const MAX_NEXT = 2048

const CONTROL = /\p{Cc}/u

export function safeNext(next: string | undefined, origin: string): string {
  if (!next?.startsWith('/') || CONTROL.test(next) || next.length > MAX_NEXT) return '/'
  let base: URL
  let url: URL
  try {
    base = new URL(origin)
    url = new URL(next, base)
  } catch {
    return '/'
  }
  if (url.origin !== base.origin) return '/'
  const path = `${url.pathname}${url.search}${url.hash}`
  return path.startsWith('/') && !path.startsWith('//') && path.length <= MAX_NEXT ? path : '/'
}
