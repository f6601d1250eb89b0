// The 1.x package ships no types; only the part this project calls is declared.
declare module 'ua-parser-js' {
  /** Fields are absent when the parser does not recognise that part of the user agent. */
  export type UAParserResult = {
    ua: string
    browser: { name?: string; version?: string; major?: string }
    engine: { name?: string; version?: string }
    os: { name?: string; version?: string }
    device: { type?: string; vendor?: string; model?: string }
    cpu: { architecture?: string }
  }

  // CommonJS: `module.exports` is the class itself, also reachable as its own `UAParser` property.
  class UAParser {
    constructor(ua?: string)
    getResult(): UAParserResult
    static readonly UAParser: typeof UAParser
  }
  export default UAParser
}
