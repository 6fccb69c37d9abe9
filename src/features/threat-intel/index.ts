export * from './asn-reputation.js';
export * from './domain-age.js';
export * from './external-threat-score.js';
export * from './ip-reputation.js';
export * from './threat-intel-input.js';
export * from './tor-exit.js';
