import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { sampleLines } from '../helpers/sample.js';

const run = promisify(execFile);
const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');
const SAMPLE = join(PACKAGE_ROOT, 'data', 'sample', 'cicids2017-sample.csv.gz');
const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil detect --out - read by a program that stops early', () => {
  it('stops without an error when the reader closes the pipe (`| head -1`)', async () => {
    const child = spawn(process.execPath, [VIGIL, 'detect', '--data', SAMPLE, '--out', '-'], { cwd: PACKAGE_ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const firstLine = await new Promise<string>((resolve) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const end = text.indexOf('\n');
        if (end !== -1) {
          child.stdout.destroy();
          resolve(text.slice(0, end));
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(JSON.parse(firstLine)).toHaveProperty('eventKey');
    expect(stderr).not.toMatch(/unexpected failure|EPIPE/);
    expect(code).toBe(0);
  });
});

describe('vigil demo dead letters', () => {
  it("names a file holding this run's bad input only: empty after a clean run", async () => {
    const { header, lines } = sampleLines(3000);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, [header, lines[0], 'not,a,flow', lines[1]].join('\n') + '\n');
    const deadLetters = join(dir, '.vigil', 'demo', 'dead-letters.jsonl');
    const demo = (...args: string[]) => run(process.execPath, [VIGIL, 'demo', ...args], { cwd: dir });

    const first = await demo('--data', bad);
    expect(first.stdout).toMatch(/dead-lettered 1 /);
    expect(readFileSync(deadLetters, 'utf8').trim().split('\n')).toHaveLength(1);
    writeFileSync(join(dir, 'clean.csv'), [header, lines[0], lines[1]].join('\n') + '\n');
    const second = await demo('--data', join(dir, 'clean.csv'));
    expect(second.stdout).toMatch(/dead-lettered 0/);
    expect(second.stdout).toContain(`dead letters: ${join('.vigil', 'demo', 'dead-letters.jsonl')}`);
    expect(existsSync(deadLetters)).toBe(true);
    expect(readFileSync(deadLetters, 'utf8')).toBe('');
  });
});
