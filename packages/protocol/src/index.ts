export type { Admission, AdmitOptions, AdmittedBatch, EventWriter } from './admit-batch.js';
export { admitBatch } from './admit-batch.js';
export { CHANNEL_LABELS, CHANNEL_PATTERNS, type Channel, type ChannelInput, channelOf } from './channels.js';
export type {
  Attribution,
  Batch,
  BuiltinEventType,
  DeviceContext,
  EventType,
  PageContext,
  Props,
  PropValue,
  SplitReason,
  TrailmarkEvent,
} from './event.js';
export { BUILTIN_EVENT_TYPES } from './event.js';
export { lowerId, oncePerId } from './event-ids.js';
export type { BodyResult, ErrorBody, ErrorCode } from './http.js';
export { drainBody, ERROR_STATUS, errorBody, errorResponse, originAllowed, presentedKey, readJsonBody, requestKey } from './http.js';
export * from './limits.js';
export type { BatchError, IngestResponse, ParseBatchOptions, ParsedBatch, Rejection } from './parse-batch.js';
export { ingestResponse, parseBatch } from './parse-batch.js';
export type { CheckAnswer, CheckRequest } from './parse-check.js';
export { checkAnswer, isCheck, parseCheck } from './parse-check.js';
export { type PropsFault, propsFault, propsProblem, utf8Length } from './props.js';
export type { Redactor } from './redact.js';
export { createRedactor, redactEvent } from './redact.js';
export type { SourceType, TrafficSource } from './referrer.js';
export { classifySource, parseUtm, socialPlatforms } from './referrer.js';
export * from './revenue.js';
export { COMMON_ROUTES, HEALTH_PATHS, type RouteIndex, routeIndexResponse } from './route-index.js';
export { luhnValid } from './rules/cards.js';
export { ibanValid } from './rules/ibans.js';
export type { FieldDescription } from './rules/names.js';
export { isSensitiveField, isSensitiveFieldServer, isSensitiveKey } from './rules/names.js';
export type { RedactionRule } from './rules/text.js';
export { DEFAULT_REDACTION_RULES, redactText } from './rules/text.js';
export { redactUrl, SENSITIVE_VALUE } from './rules/urls.js';
export { withoutUserinfo } from './rules/userinfo.js';
export { envelopeSchema, eventSchema } from './schema.js';
export * from './stats/index.js';
export type { AgentClass } from './user-agent.js';
export { agentClass, parseAgentClass } from './user-agent.js';
