import { childLogger } from '../telemetry/logger.js';

const log = childLogger('shutdown');

/**
 * SIGTERM / SIGINT for a long-running command: the first signal asks `stop` to drain (what it
 * says is written to stderr), a second one exits at once with 130, since the operator will not
 * wait: what was not committed is read again by the consumer group. `received()` tells a
 * command that was still starting whether a stop is owed as soon as it runs; `dispose()` removes
 * the handlers once the command is done.
 */
export function onShutdownSignals(command: string, draining: string, stop: () => void): { received(): number; dispose(): void } {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      log.warn({ command, signal }, 'second signal during shutdown: exiting without waiting');
      process.exit(130);
    }
    process.stderr.write(`${command}: ${signal}, ${draining}\n`);
    stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    received: () => signals,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
