// The package ships no types; only the part this project calls is declared.
declare module 'geoip-country' {
  type GeoipCountry = {
    /** Null for addresses the bundled GeoLite2 data does not place (private, reserved, some anycast). */
    lookup(ip: string | number): { country: string } | null
  }
  const geoip: GeoipCountry
  export default geoip
}
