import type { Verdict } from '../events/verdict.js';
import type { EventRow, FeatureVectorRow, OfflineRows, OfflineStore, OfflineTable, RetrainRun, TrainingSample } from './offline-store.js';

type TableInserts = Pick<OfflineStore, 'insertEvents' | 'insertFeatureVectors' | 'insertVerdicts' | 'insertTrainingSamples' | 'insertRetrainRuns'>;

/**
 * The per-table inserts of the OfflineStore contract, the same on every backend: each is one
 * call of the backend's `insertRows` with its table's name (offline-tables.ts holds the
 * columns and checks).
 */
export abstract class TableOfflineStore implements TableInserts {
  protected abstract insertRows<T extends OfflineTable>(table: T, rows: readonly OfflineRows[T][]): Promise<void>;

  insertEvents(rows: readonly EventRow[]): Promise<void> {
    return this.insertRows('events', rows);
  }

  insertFeatureVectors(rows: readonly FeatureVectorRow[]): Promise<void> {
    return this.insertRows('feature_vectors', rows);
  }

  insertVerdicts(rows: readonly Verdict[]): Promise<void> {
    return this.insertRows('verdicts', rows);
  }

  insertTrainingSamples(rows: readonly TrainingSample[]): Promise<void> {
    return this.insertRows('training_samples', rows);
  }

  insertRetrainRuns(rows: readonly RetrainRun[]): Promise<void> {
    return this.insertRows('retrain_runs', rows);
  }
}
