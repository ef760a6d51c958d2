export * from './bots.js';
export * from './compute.js';
export * from './contract.js';
export * from './dimensions.js';
export * from './sqlite-panels.js';
export * from './sqlite-rollups.js';
export * from './visit-rollup.js';
export * from './visits.js';
