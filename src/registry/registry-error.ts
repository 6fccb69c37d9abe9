import { VigilError } from '../errors/vigil-error.js';

/**
 * A registry operation cannot proceed: an unknown version, an illegal status move, a missing
 * PREVIOUS pointer, a held lock, an unreadable registry.json. A model that does not load is a
 * ModelError instead (from the model store), so callers can tell "bad request" from "bad model".
 */
export class RegistryError extends VigilError {}
