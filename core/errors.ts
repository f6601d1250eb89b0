import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ZodError } from 'zod'
import { logText } from './log-text.ts'
import type { Logger } from './logger.ts'

/** An error whose status and message are safe to show to the caller. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

/** The JSON body of every error response: a stable code, a message and, for bad input, the field. */
export type ErrorBody = { error: string; message: string; field?: string; requestId?: string }

export function zodErrorBody(error: ZodError): ErrorBody {
  const issue = error.issues[0]
  const field = issue?.path.length ? issue.path.join('.') : undefined
  return {
    error: 'invalid',
    message: issue ? `${field ?? 'body'}: ${issue.message}` : 'invalid input',
    ...(field ? { field } : {}),
  }
}

/**
 * The one error handler: bad input is a 400 naming the field, known errors keep their status,
 * anything else is a generic 500 with the request id to quote, never the error's own message.
 */
export function createErrorHandler(logger: Logger) {
  return function onError(error: Error, c: Context) {
    if (error instanceof ZodError) return c.json(zodErrorBody(error), 400)
    if (error instanceof AppError) {
      const body: ErrorBody = { error: error.code, message: error.message }
      if (error.field) body.field = error.field
      return c.json(body, error.status)
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode
      return c.json({ error: 'http', message: error.message || statusText(status) }, status)
    }
    // The ingestion route runs without the request-id middleware: its failures get one here.
    const requestId = (c.get('requestId') as string | undefined) ?? crypto.randomUUID()
    // A message may quote the request (a header value, say): capped and escaped like any request text.
    logger.error(
      { requestId, err: { name: logText(error.name), stack: logText(error.stack ?? error.message, 4096) } },
      'unhandled error',
    )
    return c.json({ error: 'internal', message: 'internal error', requestId }, 500)
  }
}

const statusText = (status: number) =>
  ({ 400: 'bad request', 401: 'unauthorized', 404: 'not found', 413: 'payload too large' })[status] ?? 'error'
