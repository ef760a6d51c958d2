export type { Admission, AdmitOptions, AdmittedBatch, EventWriter } from './admit-batch.js';
export { admitBatch } from './admit-batch.js';
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
export { blankSensitiveFields, SENSITIVE_VALUE } from './form-fields.js';
export type { BodyResult, ErrorBody, ErrorCode } from './http.js';
export { drainBody, ERROR_STATUS, errorBody, errorResponse, originAllowed, presentedKey, readJsonBody, requestKey } from './http.js';
export * from './limits.js';
export type { BatchError, IngestResponse, ParseBatchOptions, ParsedBatch, Rejection } from './parse-batch.js';
export { ingestResponse, parseBatch } from './parse-batch.js';
export type { CheckAnswer, CheckRequest } from './parse-check.js';
export { checkAnswer, isCheck, parseCheck } from './parse-check.js';
export { propsProblem, utf8Length } from './props.js';
export type { FieldDescription, RedactionRule } from './redact.js';
export { DEFAULT_REDACTION_RULES, ibanValid, isSensitiveField, luhnValid, redactEvent, redactText, redactUrl } from './redact.js';
export type { SourceType, TrafficSource } from './referrer.js';
export { classifySource, parseUtm } from './referrer.js';
export * from './revenue.js';
export { envelopeSchema, eventSchema } from './schema.js';
export * from './stats/index.js';
