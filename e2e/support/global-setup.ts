import { engineBanner } from '../engines/summary.js';
import { buildSdkIfStale } from './build-sdk.mjs';
import { describeBrowser } from './chromium.mjs';

/** Says which browser the run drives (or fails, saying how to get one), builds the browser bundle of the SDK's source
 * that the core pages import unless it is fresh (npm test builds it beside the unit tests: npm run build:apps), and
 * says which engines the cross-engine suite will run. */
export default async function globalSetup() {
  console.log(await describeBrowser());
  await buildSdkIfStale();
  console.log(engineBanner());
}
