import pino from 'pino';

/**
 * One logger for the process. It writes to stderr because stdout carries results
 * (verdicts, `evaluate --json`), which other programs parse.
 */
export const logger = pino(
  { name: 'vigil', level: process.env.VIGIL_LOG_LEVEL ?? 'info', base: undefined },
  pino.destination({ fd: 2, sync: true }),
);

export function childLogger(component: string): pino.Logger {
  return logger.child({ component });
}
