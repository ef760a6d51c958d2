import { engineBanner } from '../engines/summary.js';
import { buildSdk } from './build-sdk.mjs';
import { describeBrowser } from './chromium.mjs';

/** Says which browser the run drives (or fails, saying how to get one), builds the browser bundle of the SDK's source
 * that the core pages import, and says which engines the cross-engine suite will run. */
export default async function globalSetup() {
  console.log(await describeBrowser());
  await buildSdk();
  console.log(engineBanner());
}
