import pino from 'pino'

export type Logger = pino.Logger

/**
 * JSON logs on stdout. Secrets and request metadata that could identify a visitor are
 * redacted by path as a second line of defence; the request log never writes them anyway.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'ip',
        '*.ip',
        'userAgent',
        '*.userAgent',
      ],
      censor: '[redacted]',
    },
  }
  return destination ? pino(options, destination) : pino(options)
}
