import type { Logger } from 'pino';
import { VigilError } from '../errors/vigil-error.js';
import { loadFlowClassifier, type LoadFlowClassifierOptions } from '../ensemble/load-flow-classifier.js';
import type { FlowClassifier as Classifier } from '../inference/classifier.js';
import { MODELS_DIR } from '../paths.js';
import type { ModelProvider } from '../stages/score.js';
import { childLogger } from '../telemetry/logger.js';
import { defaultModelVersion, versionDir, type ModelResolutionOptions } from './resolve-model.js';

export interface RegistryModelProviderOptions extends ModelResolutionOptions {
  /** Loads a version directory, ready to score (default: loadFlowClassifier with `accept`, then one warm-up pass). */
  load?: (dir: string) => Promise<Classifier>;
  /** Which models the default load accepts (e.g. the feature versions the topology computes); default: any. */
  accept?: LoadFlowClassifierOptions;
  /** When set, refresh() also runs every this many ms; the timer never keeps the process alive. */
  pollIntervalMs?: number;
  /** Hears about switches and failed refreshes (default: the `registry` logger). */
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export type RefreshResult =
  | { outcome: 'unchanged'; serving: string }
  | { outcome: 'switched'; serving: string; from: string }
  /** The wanted version could not be served; `serving` is the one still served. */
  | { outcome: 'failed'; serving: string; wanted: string | undefined; error: VigilError };

const loadWarm =
  (accept: LoadFlowClassifierOptions) =>
  async (dir: string): Promise<Classifier> => {
    const classifier = await loadFlowClassifier(dir, accept);
    classifier.warmUp();
    return classifier;
  };

/**
 * Serves the registry's default model (CURRENT, or v1 when USE_PHASE2_MODELS=false) to the
 * scoring stage and swaps it while the engine runs.
 *
 * 1. `refresh()` (or the poll timer) reads the pointer; the same version as served: nothing.
 * 2. Another version: it is loaded and warmed up beside the served one.
 * 3. Loading fails (corrupt, mismatched, pointer unreadable): logged, and the served model
 *    stays; the next refresh tries again.
 * 4. Loaded: `current()` returns it from now on, then the old model is disposed.
 * The scoring stage calls `current()` once per micro-batch and predicts synchronously, so the
 * swap lands between batches and no batch can hold the disposed model.
 */
export class RegistryModelProvider implements ModelProvider {
  private served: Classifier;
  private pending: Promise<RefreshResult> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    first: Classifier,
    private readonly resolution: Required<ModelResolutionOptions>,
    private readonly load: (dir: string) => Promise<Classifier>,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {
    this.served = first;
  }

  /** Loads the default version; a failure here throws, since there is nothing else to serve. */
  static async open(options: RegistryModelProviderOptions = {}): Promise<RegistryModelProvider> {
    const resolution = { modelsDir: options.modelsDir ?? MODELS_DIR, env: options.env ?? process.env };
    const load = options.load ?? loadWarm(options.accept ?? {});
    const first = await load(versionDir(resolution.modelsDir, defaultModelVersion(resolution)));
    const provider = new RegistryModelProvider(first, resolution, load, options.log ?? childLogger('registry'));
    if (options.pollIntervalMs !== undefined) provider.poll(options.pollIntervalMs);
    return provider;
  }

  current(): Classifier {
    return this.served;
  }

  /** Loads the version the registry names now, if it differs; concurrent calls share one attempt. */
  refresh(): Promise<RefreshResult> {
    this.pending ??= this.switchToDefault().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Stops polling and disposes the served model. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.served.dispose();
  }

  private poll(intervalMs: number): void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`pollIntervalMs must be a positive number of ms, got ${intervalMs}`);
    this.timer = setInterval(() => {
      // refresh() turns model problems into a 'failed' result; what reaches here is a bug,
      // logged loudly, and the engine keeps its model rather than dying on a timer.
      this.refresh().catch((err: unknown) => this.log.error({ err }, 'model refresh crashed; still serving the previous model'));
    }, intervalMs);
    this.timer.unref();
  }

  private async switchToDefault(): Promise<RefreshResult> {
    const serving = this.served.version;
    let wanted: string | undefined;
    let next: Classifier;
    try {
      wanted = defaultModelVersion(this.resolution);
      if (wanted === serving) return { outcome: 'unchanged', serving };
      next = await this.load(versionDir(this.resolution.modelsDir, wanted));
    } catch (err) {
      if (!(err instanceof VigilError)) throw err;
      this.log.warn({ serving, wanted, err: err.message }, 'cannot switch models; still serving the current one');
      return { outcome: 'failed', serving, wanted, error: err };
    }
    if (this.closed) {
      next.dispose();
      return { outcome: 'unchanged', serving };
    }
    const old = this.served;
    this.served = next;
    old.dispose();
    this.log.info({ from: old.version, to: next.version }, 'model switched');
    return { outcome: 'switched', serving: next.version, from: old.version };
  }
}
