import { createHash } from 'node:crypto';
import { OfflineStoreError } from '../offline-errors.js';
import type { AppliedMigration } from '../offline-store.js';

/**
 * A versioned schema change, kept in the repository as TypeScript strings so the tsc build
 * ships it. Each store has its own numbered list in its own SQL dialect
 * (clickhouse/clickhouse-migrations.ts, sqlite/sqlite-migrations.ts). Once released, a
 * migration is never edited: a change is a new version, and the runner refuses a database
 * whose recorded checksum differs from the text here.
 */
export interface Migration {
  /** 1, 2, 3, ... with no gaps. */
  readonly version: number;
  /** `<version as 3 digits>_<what it does>`, e.g. `001_create_events`. */
  readonly name: string;
  /**
   * Statements run in order, one request each. Each must be safe to run again
   * (`IF NOT EXISTS`): ClickHouse has no transactional DDL, so a migration interrupted halfway
   * is run again from its first statement.
   */
  readonly statements: readonly string[];
}

const NAME = /^(\d{3})_[a-z0-9_]+$/;

/** sha256 (hex) of the statements as written, so an edited migration is noticed. */
export function migrationChecksum(migration: Migration): string {
  const hash = createHash('sha256');
  for (const statement of migration.statements) hash.update(statement).update('\0');
  return hash.digest('hex');
}

/** Checks a store's list once: versions 1..n in order, names matching their versions. */
export function checkMigrationList(migrations: readonly Migration[], storeName: string): void {
  migrations.forEach((m, i) => {
    const match = NAME.exec(m.name);
    if (m.version !== i + 1 || !match || Number(match[1]) !== m.version || m.statements.length === 0) {
      throw new OfflineStoreError(
        'migrate',
        `${storeName}: migration ${i} (${m.name}, version ${m.version}) must have version ${i + 1}, a name like ${String(i + 1).padStart(3, '0')}_create_x and at least one statement`,
      );
    }
  });
}

/**
 * The migrations still to apply, in order, after checking that what the database recorded
 * is a prefix of `migrations`: every recorded version is known here, with the same checksum.
 * A database migrated by newer code, or by an edited migration, is refused, not altered.
 */
export function pendingMigrations(migrations: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const record of applied) {
    const migration = known.get(record.version);
    if (migration === undefined) {
      throw new OfflineStoreError(
        'migrate',
        `the database records migration ${record.version} (${record.name}), which this code does not have (latest: ${migrations.length}); it was migrated by a newer vigil`,
      );
    }
    if (migrationChecksum(migration) !== record.checksum) {
      throw new OfflineStoreError(
        'migrate',
        `migration ${migration.name} was changed after it was applied (checksum ${record.checksum.slice(0, 12)} recorded, ${migrationChecksum(migration).slice(0, 12)} now); add a new migration instead of editing one`,
      );
    }
  }
  const done = new Set(applied.map((a) => a.version));
  return migrations.filter((m) => !done.has(m.version));
}
