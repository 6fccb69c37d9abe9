/** Labelled rows for training: raw sanitized vectors (NaN = missing), flat row-major. */
export interface LabelledRows {
  /** n×dims raw sanitized values. */
  x: Float32Array;
  /** Class index into THREAT_CLASSES, one per row. */
  y: Int32Array;
  dims: number;
}

export function rowCount(data: LabelledRows): number {
  if (data.x.length !== data.y.length * data.dims) {
    throw new RangeError(`x holds ${data.x.length} values, expected ${data.y.length} rows × ${data.dims} dims`);
  }
  return data.y.length;
}

/** The rows at `idx`, copied, in that order. */
export function selectRows(data: LabelledRows, idx: Int32Array): LabelledRows {
  const { dims } = data;
  rowCount(data);
  const x = new Float32Array(idx.length * dims);
  const y = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k]!;
    x.set(data.x.subarray(r * dims, (r + 1) * dims), k * dims);
    y[k] = data.y[r]!;
  }
  return { x, y, dims };
}
