import { RegistryError } from './registry-error.js';

/**
 * The life of a model version, as a table of legal moves (like kafkajs' transaction state
 * machine): any other move is a bug and fails loudly.
 *
 * - `candidate`: trained, never judged.
 * - `current`: named by models/CURRENT, served by default.
 * - `previous`: named by models/PREVIOUS, what `rollback` brings back.
 * - `rejected`: judged by the promotion rule and refused (the record keeps the reason); it
 *   may be promoted again (`--force`, or after its metrics change).
 * - `archived`: was current once, pushed out of the PREVIOUS slot by a later promotion; it
 *   may be promoted again explicitly.
 */
export const VERSION_STATUSES = ['candidate', 'current', 'previous', 'rejected', 'archived'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

const LEGAL_MOVES: Readonly<Record<VersionStatus, readonly VersionStatus[]>> = {
  candidate: ['current', 'rejected'],
  rejected: ['current', 'rejected'],
  // A rollback swaps the two pointers, so current and previous trade places.
  current: ['previous'],
  previous: ['current', 'archived'],
  archived: ['current', 'rejected'],
};

export function canMove(from: VersionStatus, to: VersionStatus): boolean {
  return LEGAL_MOVES[from].includes(to);
}

export function assertMove(version: string, from: VersionStatus, to: VersionStatus): void {
  if (!canMove(from, to)) {
    throw new RegistryError(`model ${version}: cannot move from ${from} to ${to} (from ${from} only to ${LEGAL_MOVES[from].join(' or ') || 'nothing'})`);
  }
}
