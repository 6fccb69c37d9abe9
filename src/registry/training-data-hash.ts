import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors/vigil-error.js';
import type { TrainingDataHash } from './registry-record.js';

/**
 * sha256 of the training files' bytes, streamed (training files run to hundreds of MB), so a
 * registry record says exactly which data made a model. Per file, and one digest over all
 * files in the given order; for one file the two are the same. The bytes as stored are
 * hashed (a .gz file is hashed compressed): the question is "the same file?", not "the same rows?".
 */
export async function hashTrainingData(paths: readonly string[]): Promise<TrainingDataHash> {
  if (paths.length === 0) throw new InputError('hashTrainingData: no training files given');
  const all = createHash('sha256');
  const files: TrainingDataHash['files'] = [];
  for (const path of paths) {
    const one = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of createReadStream(path)) {
        one.update(chunk as Buffer);
        all.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      files.push({ path: resolve(path), sha256: one.digest('hex'), bytes });
    } catch (err) {
      throw new InputError(`cannot hash training file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return { sha256: all.digest('hex'), files };
}
