import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors/vigil-error.js';
import { childLogger } from '../telemetry/logger.js';

export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'node', 'wasm', 'cpu'];

// tfjs-node is an optional peer (it cannot install everywhere): a specifier held in a
// variable keeps TypeScript and bundlers from requiring it at build time.
const TFJS_NODE = '@tensorflow/tfjs-node';

let chosen: Promise<string> | undefined;
let chosenPref: BackendPreference | undefined;

const log = childLogger('backend');

/** Not installed is the normal case for an optional peer; anything else is worth a warning. */
function isModuleNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

async function tryNode(): Promise<boolean> {
  try {
    await import(TFJS_NODE);
  } catch (err) {
    if (!isModuleNotFound(err)) log.warn({ err }, 'tfjs-node is installed but failed to load; falling back');
    return false;
  }
  return tf.setBackend('tensorflow');
}

async function tryWasm(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    return await tf.setBackend('wasm');
  } catch (err) {
    log.warn({ err }, 'the wasm backend failed to initialise; falling back');
    return false;
  }
}

async function select(pref: BackendPreference): Promise<string> {
  // Prod mode: tfjs would otherwise print its "install tfjs-node" banner and debug checks;
  // stdout belongs to the CLI's JSON output.
  tf.enableProdMode();
  if (pref === 'node') {
    if (!(await tryNode())) throw new ConfigError("backend 'node' needs @tensorflow/tfjs-node, which is not installed; use 'auto', 'wasm' or 'cpu'");
  } else if (pref === 'wasm') {
    if (!(await tryWasm())) throw new ConfigError("backend 'wasm' failed to initialise; use 'auto' or 'cpu'");
  } else if (pref === 'cpu') {
    if (!(await tf.setBackend('cpu'))) throw new ConfigError("backend 'cpu' failed to initialise");
  } else if (!(await tryNode()) && !(await tryWasm()) && !(await tf.setBackend('cpu'))) {
    throw new ConfigError('no TensorFlow.js backend could be initialised (tried tfjs-node, wasm, cpu)');
  }
  await tf.ready();
  return tf.getBackend();
}

/**
 * Selects the TensorFlow.js backend once and returns its name ('tensorflow', 'wasm' or
 * 'cpu'). 'auto' prefers tfjs-node when installed, else wasm (SIMD, ~4x the pure-JS cpu
 * backend), else cpu; once any backend is chosen, 'auto' keeps it, so library code can call
 * `initBackend()` freely without undoing an explicit choice. An explicit preference
 * switches backend (tensors made before the switch must not be used after it).
 */
export async function initBackend(pref: BackendPreference = 'auto'): Promise<string> {
  if (!BACKEND_PREFERENCES.includes(pref)) {
    throw new ConfigError(`unknown backend ${JSON.stringify(pref)}; expected one of ${BACKEND_PREFERENCES.join(', ')}`);
  }
  if (chosen && (pref === 'auto' || pref === chosenPref)) return chosen;
  const previous = chosen;
  chosenPref = pref;
  const next = (previous ?? Promise.resolve('')).catch(() => '').then(() => select(pref));
  chosen = next;
  next.catch(() => {
    // A failed choice must not stick: the next call may retry or pick another.
    if (chosen === next) {
      chosen = undefined;
      chosenPref = undefined;
    }
  });
  return next;
}
