import { describe, expect, it } from 'vitest';
import { integerLiteral, quoteIdentifier, quoteString } from '../../src/store/clickhouse/clickhouse-sql.js';
import { encodeRowBinary } from '../../src/store/clickhouse/row-binary.js';
import { OfflineStoreError } from '../../src/store/offline-errors.js';

/**
 * Pure checks of what reaches ClickHouse; clickhouse-offline-store.test.ts checks the same
 * against a real server's parser.
 */
describe('quoteString', () => {
  it('escapes quotes, backslashes and control characters, and nothing else', () => {
    expect(quoteString("o'brien")).toBe("'o\\'brien'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString("\\'")).toBe("'\\\\\\''");
    expect(quoteString('x\ny\r\0\x7f')).toBe("'x\\x0ay\\x0d\\x00\\x7f'");
    expect(quoteString('caf\u00e9 "q" `b` {db} ?')).toBe("'caf\u00e9 \"q\" `b` {db} ?'");
  });

  it('leaves no unescaped quote that could end the literal early', () => {
    for (const s of ["'); DROP TABLE x; --", "\\'; DROP TABLE x; --", "''", "\\\\'", "'\n'"]) {
      const body = quoteString(s).slice(1, -1);
      // Every quote in the body is preceded by an odd number of backslashes.
      for (const m of body.matchAll(/(\\*)'/g)) expect(m[1]!.length % 2).toBe(1);
      expect(body).not.toMatch(/[\n\r\0]/);
    }
  });

  it('refuses anything but a string', () => {
    expect(() => quoteString(5 as never)).toThrow(TypeError);
  });
});

describe('integerLiteral and quoteIdentifier', () => {
  it('inline only safe integers and plain names', () => {
    expect(integerLiteral(1_700_000_000_000)).toBe('1700000000000');
    for (const bad of [Number.NaN, 1.5, 2 ** 60, '1 OR 1=1' as never]) expect(() => integerLiteral(bad)).toThrow(TypeError);
    expect(quoteIdentifier('vigil_test_1')).toBe('`vigil_test_1`');
    for (const bad of ['1abc', 'a-b', 'a`b', 'db; DROP', '']) expect(() => quoteIdentifier(bad)).toThrow(OfflineStoreError);
  });
});

describe('encodeRowBinary', () => {
  it('writes each type as ClickHouse reads it: LEB128 lengths, little-endian numbers, a null flag', () => {
    const bytes = encodeRowBinary(
      ['string', 'timestamp', 'uint16', 'float64', 'float64_array', 'nullable_float64', 'nullable_float64'],
      [['h\u00e9', 2 ** 40 + 5, 258, -2, [1.5], null, 0.5]],
    );
    const expected = Buffer.concat([
      Buffer.from([3, 0x68, 0xc3, 0xa9]), // length in bytes of UTF-8, not characters
      Buffer.from([5, 0, 0, 0, 0, 1, 0, 0]),
      Buffer.from([2, 1]),
      Buffer.from('00000000000000c0', 'hex'),
      Buffer.from([1]), Buffer.from('000000000000f83f', 'hex'),
      Buffer.from([1]),
      Buffer.from([0]), Buffer.from('000000000000e03f', 'hex'),
    ]);
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('prefixes long strings and arrays with multi-byte lengths, growing its buffer', () => {
    const long = 'x'.repeat(300);
    const values = Array.from({ length: 200 }, (_, i) => i);
    const bytes = encodeRowBinary(['string', 'float64_array'], [[long, values]]);
    expect([...bytes.subarray(0, 2)]).toEqual([0xac, 0x02]); // 300
    expect([...bytes.subarray(302, 304)]).toEqual([0xc8, 0x01]); // 200
    expect(bytes.length).toBe(2 + 300 + 2 + 8 * 200);
    expect(bytes.readDoubleLE(304 + 8 * 199)).toBe(199);
  });
});
