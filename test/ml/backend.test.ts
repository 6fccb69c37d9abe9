import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { initBackend } from '../../src/inference/backend.js';

describe('initBackend', () => {
  it('picks wasm when tfjs-node is absent, once', async () => {
    const name = await initBackend();
    expect(name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend('auto')).toBe('wasm');
  });

  it('switches on an explicit choice and keeps it for later auto calls', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(await initBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('refuses a backend it cannot provide, with a ConfigError', async () => {
    await expect(initBackend('node')).rejects.toThrow(ConfigError);
    await expect(initBackend('gpu' as 'auto')).rejects.toThrow(ConfigError);
    expect(await initBackend()).toBe(tf.getBackend());
  });
});
