import { VigilError } from '../errors/vigil-error.js';

/** The collector was used out of order (run twice, run after stop). Not retriable. */
export class TrainingCollectorError extends VigilError {}
