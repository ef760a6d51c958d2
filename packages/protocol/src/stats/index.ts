export * from './budget.js';
export * from './compute.js';
export * from './contract.js';
export * from './dimensions.js';
export * from './visits.js';
