/**
 * Base of every error vigil raises on purpose. Like kafkajs' KafkaJSError, it says whether
 * retrying can help (`retriable`) and keeps the error that caused it (`cause`), so retry
 * logic reads a flag, never a message.
 */
export class VigilError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** The input cannot be read at all (missing file, unknown format, no header). Not retriable. */
export class InputError extends VigilError {}

/** A model directory is missing, corrupt, or does not fit the features it would be given. */
export class ModelError extends VigilError {}

/** A setting is invalid; the message names it and what would be accepted. */
export class ConfigError extends VigilError {}
