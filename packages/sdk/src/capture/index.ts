// The redaction rules the forms plugin applies, re-exported so users can extend them without a second import.
export type { FieldDescription, RedactionRule } from '@trailmark/protocol';
export { DEFAULT_REDACTION_RULES, isSensitiveField, redactText } from '@trailmark/protocol';
export type { ClicksOptions } from './clicks.js';
export { clicks } from './clicks.js';
export type { FormsOptions } from './forms.js';
export { forms } from './forms.js';
export type { NavigationKind, PageKey, PageviewsOptions } from './pageviews.js';
export { pageviews } from './pageviews.js';
export type { ScrollDepthOptions } from './scroll-depth.js';
export { scrollDepth } from './scroll-depth.js';
export type { TextCopyOptions } from './text-copy.js';
export { textCopy } from './text-copy.js';
export type { VisibilityOptions } from './visibility.js';
export { visibility } from './visibility.js';
export type { VitalObserver, WebVitalsOptions } from './web-vitals.js';
export { webVitals } from './web-vitals.js';
