/**
 * Uplift as the read API states it: relative to the offer's control in the same segment, and
 * `null` when there is nothing to be relative to (no released control, or a control that never
 * converted), where the insights job stores 0. A rate against a zero rate has no uplift to show,
 * and 0 would say "no better", which the figures do not say.
 */
export function upliftOrNull<
  Row extends { segment: string; offer_id: string; is_control: boolean; conversions: number; uplift: number },
>(rows: readonly Row[]): Array<Omit<Row, 'uplift'> & { uplift: number | null }> {
  const controls = new Map<string, Row>()
  for (const row of rows) if (row.is_control) controls.set(`${row.segment}\u0000${row.offer_id}`, row)
  return rows.map((row) => {
    const control = controls.get(`${row.segment}\u0000${row.offer_id}`)
    return { ...row, uplift: control && control.conversions > 0 ? row.uplift : null }
  })
}
