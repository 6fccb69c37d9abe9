import { Command } from 'commander';
import { VigilError } from '../errors/vigil-error.js';
import { logger } from '../telemetry/logger.js';
import { registerDetect } from './commands/detect.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerLearn } from './commands/learn.js';
import { registerModels } from './commands/models.js';
import { registerBackfill, registerFeatures } from './commands/features.js';
import { registerServe } from './commands/serve.js';
import { registerSplit } from './commands/split.js';
import { registerTrain } from './commands/train.js';

const program = new Command('vigil')
  .description('streaming feature engine and self-retraining detector for network security events')
  .showHelpAfterError();

registerDetect(program);
registerTrain(program);
registerEvaluate(program);
registerSplit(program);
registerModels(program);
registerFeatures(program);
registerBackfill(program);
registerServe(program);
registerLearn(program);

/**
 * Whether the reader of stdout went away (`vigil detect --out - | head`): it asked for no
 * more, which ends the run as SIGPIPE would, without an error. Registered before any write,
 * so the flag is set before a pending write's failure reaches the command.
 */
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutClosed = true;
});
const isClosedStdout = (err: unknown): boolean => stdoutClosed && err instanceof Error && (err as NodeJS.ErrnoException).code === 'EPIPE';

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Expected failures (bad input files, corrupt models, bad settings) get one clear line;
  // anything else is a bug and keeps its stack.
  if (isClosedStdout(err)) {
    logger.debug('stdout closed by its reader; stopped');
  } else if (err instanceof VigilError) {
    logger.error({ cause: err.cause instanceof Error ? err.cause.message : err.cause }, `${err.name}: ${err.message}`);
  } else {
    logger.error({ err }, 'unexpected failure');
  }
  if (!isClosedStdout(err)) process.exitCode = 1;
}
