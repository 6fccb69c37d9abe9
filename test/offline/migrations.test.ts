import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_MIGRATIONS, renderStatement } from '../../src/store/clickhouse/clickhouse-migrations.js';
import { checkMigrationList, migrationChecksum, pendingMigrations, type Migration } from '../../src/store/migrations/migration.js';
import { runMigrations, type MigrationTarget } from '../../src/store/migrations/run-migrations.js';
import { OfflineStoreError } from '../../src/store/offline-errors.js';
import type { AppliedMigration } from '../../src/store/offline-store.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';

const M: Migration[] = [
  { version: 1, name: '001_create_a', statements: ['CREATE TABLE a (x INTEGER)'] },
  { version: 2, name: '002_create_b', statements: ['CREATE TABLE b (x INTEGER)', 'CREATE INDEX b_x ON b (x)'] },
  { version: 3, name: '003_create_c', statements: ['CREATE TABLE c (x INTEGER)'] },
];

const record = (m: Migration, checksum = migrationChecksum(m)): AppliedMigration => ({ version: m.version, name: m.name, checksum, appliedAtMs: 1 });

/** A target in memory: what was applied, in order. */
function memoryTarget(applied: AppliedMigration[] = []): MigrationTarget & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    prepare: async () => {},
    readApplied: async () => [...applied],
    apply: async (m, checksum) => {
      ran.push(...m.statements);
      applied.push({ version: m.version, name: m.name, checksum, appliedAtMs: 2 });
    },
  };
}

describe('migrations', () => {
  it('applies what is pending in version order, then nothing', async () => {
    const target = memoryTarget([record(M[0]!)]);
    expect(await runMigrations(target, M)).toEqual({ applied: [2, 3], version: 3 });
    expect(target.ran).toEqual(['CREATE TABLE b (x INTEGER)', 'CREATE INDEX b_x ON b (x)', 'CREATE TABLE c (x INTEGER)']);
    expect(await runMigrations(target, M)).toEqual({ applied: [], version: 3 });
    expect(target.ran).toHaveLength(3);
  });

  it('refuses a migration edited after it was applied, naming it', () => {
    const edited = { ...M[1]!, statements: ['CREATE TABLE b (x INTEGER, y INTEGER)'] };
    const applied = [record(M[0]!), record(M[1]!)];
    expect(() => pendingMigrations([M[0]!, edited, M[2]!], applied)).toThrow(/002_create_b was changed after it was applied/);
  });

  it('refuses a database migrated by newer code', () => {
    const error = (() => {
      try {
        pendingMigrations(M.slice(0, 2), M.map((m) => record(m)));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(OfflineStoreError);
    expect((error as OfflineStoreError).retriable).toBe(false);
    expect((error as OfflineStoreError).message).toMatch(/records migration 3 \(003_create_c\).*latest: 2/);
  });

  it('checksums the statements, so whitespace and order changes count as edits', () => {
    const base = migrationChecksum(M[1]!);
    expect(migrationChecksum({ ...M[1]!, name: '002_renamed' })).toBe(base);
    expect(migrationChecksum({ ...M[1]!, statements: [...M[1]!.statements].reverse() })).not.toBe(base);
    expect(migrationChecksum({ ...M[1]!, statements: ['CREATE TABLE b (x INTEGER)CREATE INDEX b_x ON b (x)'] })).not.toBe(base);
  });

  it.each([
    ['a gap', [M[0]!, M[2]!]],
    ['a name that does not match its version', [M[0]!, { ...M[1]!, name: '003_create_b' }]],
    ['a name without its number', [{ ...M[0]!, name: 'create_a' }]],
    ['no statements', [{ ...M[0]!, statements: [] }]],
  ])('rejects a list with %s', (_, list) => {
    expect(() => checkMigrationList(list, 'Test')).toThrow(OfflineStoreError);
  });

  it('ships well-formed lists for both stores, table for table', () => {
    checkMigrationList(CLICKHOUSE_MIGRATIONS, 'ClickHouse');
    checkMigrationList(SQLITE_MIGRATIONS, 'SQLite');
    expect(CLICKHOUSE_MIGRATIONS.map((m) => m.name)).toEqual(SQLITE_MIGRATIONS.map((m) => m.name));
  });

  it('fills in the database name everywhere a ClickHouse statement names it', () => {
    for (const m of CLICKHOUSE_MIGRATIONS) {
      for (const s of m.statements) {
        const rendered = renderStatement(s, '`db_x`');
        expect(rendered).not.toContain('{db}');
        expect(rendered).toMatch(/CREATE TABLE IF NOT EXISTS `db_x`\.\w+ \(/);
      }
    }
  });
});
