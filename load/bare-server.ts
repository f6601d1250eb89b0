import { createServer } from 'node:http'

/**
 * The benchmark's baseline: the least an HTTP endpoint can do with an event, which is to read the
 * body and answer 204. Whatever the collector does beyond this is the cost of the pipeline.
 *
 *   node --import tsx load/bare-server.ts PORT
 */
const port = Number(process.argv[2] ?? 0)

const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    Buffer.concat(chunks)
    response.statusCode = 204
    response.end()
  })
})
server.listen(port, '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)))
