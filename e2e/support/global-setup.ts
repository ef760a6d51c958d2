import { engineBanner } from '../engines/summary.js';
import { buildSdk } from './build-sdk.mjs';

/** Builds the browser bundle of the SDK's source that the core pages import; says which engines will run. */
export default async function globalSetup() {
  await buildSdk();
  console.log(engineBanner());
}
