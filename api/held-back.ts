/**
 * Groups the insights job held back before writing a snapshot (reco_held_back), handed to the
 * release gate so that they are counted in `suppressed` like the groups it holds back itself.
 * The job kept only their number, so each stands as a group of no figure whose visitor counts are
 * not numbers: the gate fails closed on those (release.ts) whatever K_ANON is, so a stub can only
 * ever add one to `suppressed`, never reach an answer. One frozen object serves every stub.
 */

const HELD = Object.freeze({ visitors: Number.NaN, visitors_floor: Number.NaN })

/** `count` held-back groups, typed as the rows of the list they were held back from. */
export function heldBackGroups<Row>(count: number): Row[] {
  const n = Number.isSafeInteger(count) && count > 0 ? count : 0
  return new Array<Row>(n).fill(HELD as unknown as Row)
}
