import { buildSdk } from './build-sdk.mjs';

/** Builds the browser bundle of the SDK's source that the core pages import. */
export default async function globalSetup() {
  await buildSdk();
}
