export * from './lateness.js';
export * from './tile-size.js';
export * from './tiles.js';
export * from './window-spec.js';
