import { tallyClient } from './client.ts'

/**
 * Picking the banner for one visitor, as a storefront's server would before rendering a page.
 *
 *   TALLY_URL=http://localhost:8787 API_TOKEN=$(cat data/demo/api-token) npx tsx clients/recommend/example.ts
 */
export async function pickBanner(baseUrl: string, token: string): Promise<string> {
  const tally = tallyClient({ baseUrl, token })
  const pick = await tally.recommend({
    site: 'demo',
    device: 'mobile',
    country: 'DE',
    source: 'social',
    category: 'wipers',
    choose: 'sample', // Thompson sampling: keeps learning; 'best' always shows the leader
  })
  // `explore`: nothing released yet, so show the shop's default.
  return pick.variant ?? 'control'
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await pickBanner(process.env.TALLY_URL ?? 'http://localhost:8787', process.env.API_TOKEN ?? ''))
}
