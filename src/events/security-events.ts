import avro from 'avsc';
import { loadAvroSchema } from './avro-schema.js';
import type { FlowEvent } from './flow-event.js';
import { schemaViolation } from './flow-event.js';

/**
 * Auth, command and session events: what honeypot (Cowrie) and OpenSSH logs say a client did,
 * decoded into the shapes of schemas/auth-event.avsc, command-event.avsc and session-event.avsc.
 * All three are keyed by `srcIp` downstream, like flows, and told apart by `kind`.
 *
 * Passwords are never carried: an auth event says only whether one was given.
 */
interface SecurityEventBase {
  eventId: string;
  srcIp: string;
  srcPort: number | null;
  dstIp: string | null;
  dstPort: number | null;
  /** Epoch milliseconds, UTC. */
  ts: number;
  /** Cowrie session id, or `host:pid` of the sshd process serving the connection. */
  sessionId: string | null;
  /** Cowrie sensor or syslog host. */
  sensor: string | null;
  /** The event as the log names it: `cowrie.login.failed`, `sshd.failed`, ... */
  sourceEventType: string;
}

export const AUTH_OUTCOMES = ['failure', 'success'] as const;
export type AuthOutcome = (typeof AUTH_OUTCOMES)[number];

export interface AuthEvent extends SecurityEventBase {
  kind: 'auth';
  outcome: AuthOutcome;
  username: string | null;
  passwordPresent: boolean;
  /** password, publickey, none, keyboard-interactive, ... */
  method: string | null;
  /** sshd says whether the user exists; Cowrie does not (null). */
  invalidUser: boolean | null;
  /** 1, or N for a syslog "message repeated N times" line. */
  attempts: number;
}

export const COMMAND_ACTIONS = ['input', 'failed'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

export interface CommandEvent extends SecurityEventBase {
  kind: 'command';
  /** `failed` repeats text an `input` event already carried: the shell did not know it. */
  action: CommandAction;
  input: string;
}

export const SESSION_PHASES = ['connect', 'client_version', 'closed', 'tunnel', 'tunnel_data', 'download', 'other'] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

export interface SessionEvent extends SecurityEventBase {
  kind: 'session';
  phase: SessionPhase;
  /** `closed` only, when the log tells how long the session lasted. */
  durationMs: number | null;
  clientVersion: string | null;
  protocol: string | null;
  /** tunnel / tunnel_data: the requested host:port; download: the URL. */
  target: string | null;
}

export type SecurityEvent = AuthEvent | CommandEvent | SessionEvent;
export type SecurityEventKind = SecurityEvent['kind'];

/** What the behavioral feature groups are given: the source's security events and its flows. */
export type BehavioralEvent = SecurityEvent | FlowEvent;

/** Flows carry no `kind`; every security event does. */
export function isSecurityEvent(event: BehavioralEvent): event is SecurityEvent {
  return 'kind' in event;
}

export const AuthEventType = loadAvroSchema('auth-event.avsc');
export const CommandEventType = loadAvroSchema('command-event.avsc');
export const SessionEventType = loadAvroSchema('session-event.avsc');

const TYPES: Record<SecurityEventKind, avro.Type> = { auth: AuthEventType, command: CommandEventType, session: SessionEventType };

/** The Avro type of one kind of security event. */
export function securityEventType(kind: SecurityEventKind): avro.Type {
  return TYPES[kind];
}

/**
 * The `schema` reason for an event that does not fit its Avro schema, or undefined. Like
 * flowEventSchemaReason: the compiled isValid() first, the path-naming walk only on failure.
 */
export function securityEventSchemaReason(event: SecurityEvent): string | undefined {
  const type = TYPES[event.kind];
  if (type === undefined) return `schema: kind ${JSON.stringify((event as { kind: unknown }).kind)} is not auth, command or session`;
  if (type.isValid(event)) return undefined;
  return `schema: ${schemaViolation(type, event) ?? `does not match schemas/${event.kind}-event.avsc`}`;
}
