/**
 * Waits for `work` to settle, but no longer than `ms`: true if it settled (resolved or rejected)
 * in time, false otherwise. The work itself goes on either way; its rejection is the owner's to
 * handle, and is not reported here. The timer does not keep the process alive.
 *
 * @example if (!(await settlesWithin(scheduler.stop(), 5_000))) logger.warn('jobs still running')
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms))
    timer.unref()
  })
  const settled = work.then(
    () => true as const,
    () => true as const,
  )
  try {
    return await Promise.race([settled, late])
  } finally {
    clearTimeout(timer)
  }
}
