import { isIP } from 'node:net'
import type { HeaderReader } from './opt-out.ts'

const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/
// Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`; the same visitor must hash and
// geolocate the same whichever stack accepted the connection.
const IPV4_MAPPED = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/**
 * One canonical textual form of an address, or '' when the input is not one. Accepts the
 * decorations proxies put on forwarded addresses (`[v6]:port`, `v4:port`, zone ids).
 */
export const normalizeIp = (raw: string | null | undefined): string => {
  let ip = raw?.trim() ?? ''
  if (ip.startsWith('[')) {
    const end = ip.indexOf(']')
    ip = end > 0 ? ip.slice(1, end) : ''
  }
  ip = IPV4_WITH_PORT.exec(ip)?.[1] ?? ip
  const zone = ip.indexOf('%')
  if (zone >= 0) ip = ip.slice(0, zone)
  ip = IPV4_MAPPED.exec(ip)?.[1] ?? ip
  switch (isIP(ip)) {
    case 4:
      return ip
    case 6:
      return ip.toLowerCase()
    default:
      return ''
  }
}

/**
 * The visitor's address. Behind a trusted proxy that is the right-most `X-Forwarded-For` entry,
 * the one that proxy appended for the peer it saw; entries to its left arrived with the request
 * and are client-controlled, so they are never believed, not even when the right-most entry is
 * unusable: then there is no address (''). Without `X-Forwarded-For`, `X-Real-IP`. Without a
 * trusted proxy all forwarding headers are client-controlled and ignored. Falls back to the
 * socket peer, and gives '' when nothing usable is known. Assumes exactly one trusted proxy.
 */
export const clientIp = (
  remoteAddress: string | undefined | (() => string | undefined),
  headers: HeaderReader,
  trustProxy: boolean,
): string => {
  if (trustProxy) {
    const forwarded = headers.get('x-forwarded-for')
    if (forwarded) return normalizeIp(forwarded.slice(forwarded.lastIndexOf(',') + 1))
    const real = normalizeIp(headers.get('x-real-ip'))
    if (real) return real
  }
  return normalizeIp(typeof remoteAddress === 'function' ? remoteAddress() : remoteAddress)
}
