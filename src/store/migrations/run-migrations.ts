import type { AppliedMigration, MigrationReport } from '../offline-store.js';
import { migrationChecksum, pendingMigrations, type Migration } from './migration.js';

/** What a store provides for the runner: its bookkeeping table and a way to run statements. */
export interface MigrationTarget {
  /** Creates the database and `schema_migrations` if missing. Safe to repeat. */
  prepare(): Promise<void>;
  /** The recorded migrations, one per version, ordered by version. */
  readApplied(): Promise<AppliedMigration[]>;
  /** Runs the migration's statements and records it; a store with transactional DDL does both at once. */
  apply(migration: Migration, checksum: string): Promise<void>;
}

/** Applies the pending migrations of `migrations` to `target`, in order (OfflineStore.migrate). */
export async function runMigrations(target: MigrationTarget, migrations: readonly Migration[]): Promise<MigrationReport> {
  await target.prepare();
  const pending = pendingMigrations(migrations, await target.readApplied());
  for (const migration of pending) await target.apply(migration, migrationChecksum(migration));
  return { applied: pending.map((m) => m.version), version: migrations.length };
}
