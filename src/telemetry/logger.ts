import pino from 'pino';

/**
 * One logger for the process. It writes to stderr because stdout carries results (verdicts,
 * `evaluate --json`) that other programs parse. The level comes from VIGIL_LOG_LEVEL and
 * defaults to warn: the CLI prints its own summaries; info logs are for operators who ask.
 */
export const logger = pino(
  { name: 'vigil', level: process.env.VIGIL_LOG_LEVEL ?? 'warn', base: undefined },
  pino.destination({ fd: 2, sync: true }),
);

export function childLogger(component: string): pino.Logger {
  return logger.child({ component });
}
