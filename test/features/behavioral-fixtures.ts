import { expect } from 'vitest';
import type { FlowEvent } from '../../src/events/flow-event.js';
import type { AuthEvent, BehavioralEvent, CommandEvent, SessionEvent, SessionPhase } from '../../src/events/security-events.js';
import type { FeatureGroup } from '../../src/features/feature-group.js';

/** Hand-built events of one source, 10.9.8.7; `ts` in ms from T0. */
export const T0 = Date.UTC(2018, 5, 19, 12, 0, 0);
const SRC = '10.9.8.7';
let seq = 0;

function base(ts: number, sessionId: string | null) {
  seq += 1;
  return { eventId: `test-${seq}`, srcIp: SRC, srcPort: null, dstIp: null, dstPort: null, ts: T0 + ts, sessionId, sensor: null };
}

export function auth(ts: number, outcome: AuthEvent['outcome'], options: { attempts?: number; sessionId?: string | null } = {}): AuthEvent {
  return {
    kind: 'auth',
    ...base(ts, options.sessionId === undefined ? 's1' : options.sessionId),
    sourceEventType: outcome === 'success' ? 'cowrie.login.success' : 'cowrie.login.failed',
    outcome,
    username: 'root',
    passwordPresent: true,
    method: 'password',
    invalidUser: null,
    attempts: options.attempts ?? 1,
  };
}

export function command(ts: number, input: string, action: CommandEvent['action'] = 'input', sessionId = 's1'): CommandEvent {
  return { kind: 'command', ...base(ts, sessionId), sourceEventType: `cowrie.command.${action}`, action, input };
}

export function session(ts: number, phase: SessionPhase, options: { sessionId?: string; durationMs?: number | null } = {}): SessionEvent {
  return {
    kind: 'session',
    ...base(ts, options.sessionId ?? 's1'),
    sourceEventType: `cowrie.session.${phase}`,
    phase,
    durationMs: options.durationMs ?? null,
    clientVersion: null,
    protocol: 'ssh',
    target: null,
  };
}

export function flow(ts: number): FlowEvent {
  seq += 1;
  return { eventId: `flow-${seq}`, srcIp: SRC, srcPort: 40000, dstIp: '10.0.0.1', dstPort: 22, protocol: 6, ts: T0 + ts, features: {}, label: null };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Steps a group through `events` from its initial state and returns the values after each
 * event. Every state is deep-frozen before it is stepped (a group that mutates its state
 * throws: modules are strict) and goes through JSON first (state must be plain data).
 */
export function run<S>(group: FeatureGroup<S, BehavioralEvent>, events: readonly BehavioralEvent[]): number[][] {
  let state = group.init();
  const out: number[][] = [];
  for (const e of events) {
    const step = group.step(deepFreeze(JSON.parse(JSON.stringify(state)) as S), e);
    expect(step.values).toHaveLength(group.slots.length);
    for (const v of step.values) expect(Number.isFinite(v)).toBe(true);
    state = step.state;
    out.push(step.values);
  }
  return out;
}

/** The single value of a one-slot group after each event. */
export const runOne = <S>(group: FeatureGroup<S, BehavioralEvent>, events: readonly BehavioralEvent[]): number[] => run(group, events).map((v) => v[0]!);
