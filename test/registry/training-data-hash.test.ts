import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/vigil-error.js';
import { hashTrainingData } from '../../src/registry/training-data-hash.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('hashTrainingData', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hash-'));
  // Over the 64 KiB stream chunk, so the streamed digest is built from several chunks.
  const a = Buffer.alloc(200_000, 7);
  a.write('Flow ID,Label\n');
  const b = Buffer.from('1,BENIGN\n');
  writeFileSync(join(dir, 'a.csv'), a);
  writeFileSync(join(dir, 'b.csv'), b);

  it('is the sha256 of the file bytes, per file and over all files in order', async () => {
    const one = await hashTrainingData([join(dir, 'a.csv')]);
    expect(one).toEqual({ sha256: sha(a), files: [{ path: join(dir, 'a.csv'), sha256: sha(a), bytes: a.length }] });
    const two = await hashTrainingData([join(dir, 'a.csv'), join(dir, 'b.csv')]);
    expect(two.sha256).toBe(sha(Buffer.concat([a, b])));
    expect(two.files.map((f) => f.sha256)).toEqual([sha(a), sha(b)]);
    expect((await hashTrainingData([join(dir, 'b.csv'), join(dir, 'a.csv')])).sha256).not.toBe(two.sha256);
  });

  it('names a missing file', async () => {
    await expect(hashTrainingData([join(dir, 'missing.csv')])).rejects.toThrow(InputError);
    await expect(hashTrainingData([])).rejects.toThrow(/no training files/);
  });
});
