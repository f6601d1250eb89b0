/**
 * A one-line progress bar on a terminal; on anything else (a pipe, CI), a line per tenth.
 */
export function progressBar(out: NodeJS.WriteStream, label: string) {
  const tty = out.isTTY === true
  const width = 28
  let lastTenth = -1
  let lastDraw = 0
  const line = (share: number, detail: string) => {
    const filled = Math.round(share * width)
    return `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${detail}`
  }
  return {
    update(share: number, detail: string) {
      const clamped = Math.min(1, Math.max(0, share))
      if (tty) {
        const now = Date.now()
        if (now - lastDraw < 50 && clamped < 1) return
        lastDraw = now
        out.write(`\r\x1b[2K${line(clamped, detail).slice(0, (out.columns || 120) - 1)}`)
        return
      }
      const tenth = Math.floor(clamped * 10)
      if (tenth !== lastTenth) {
        lastTenth = tenth
        out.write(`${line(clamped, detail)}\n`)
      }
    },
    done(detail: string) {
      out.write(`${tty ? '\r\x1b[2K' : ''}${line(1, detail)}\n`)
    },
  }
}
