import { applyTransform, type TransformParams } from '../vector/transform.js';

/**
 * Raw sanitized rows to a model's transformed inputs, for every scorer (one MLP or an
 * ensemble): checks the row count against the buffer, and reuses one scratch buffer across
 * micro-batches, since scoring runs per batch for as long as the engine runs.
 */
export class ModelInput {
  private scratch = new Float32Array(0);

  constructor(
    private readonly transform: TransformParams,
    /** Raw inputs per row. */
    readonly dims: number,
    /** Transformed inputs per row. */
    readonly width: number,
  ) {}

  /** The first `n` rows of `xRaw` (flat n×dims), transformed; valid until the next call. */
  rows(xRaw: Float32Array, n: number): Float32Array {
    const size = n * this.dims;
    if (!Number.isInteger(n) || n < 0 || xRaw.length < size) {
      throw new RangeError(`predictBatch: ${n} rows of ${this.dims} need ${size} values, got ${xRaw.length}`);
    }
    if (this.scratch.length < n * this.width) this.scratch = new Float32Array(n * this.width);
    return applyTransform(this.transform, xRaw.subarray(0, size), this.scratch);
  }
}
