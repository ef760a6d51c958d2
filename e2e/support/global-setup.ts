import { buildSdk } from './build-sdk.mjs';
import { describeBrowser } from './chromium.mjs';

/** Says which browser the run drives (or fails, saying how to get one), and builds the browser bundle of the SDK's source that the core pages import. */
export default async function globalSetup() {
  console.log(await describeBrowser());
  await buildSdk();
}
