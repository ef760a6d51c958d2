// The SDK's byte counts are the protocol's: one function in the bundle for the props limit and the queue's sizes.
export { utf8Length as utf8Bytes } from '@trailmark/protocol';
