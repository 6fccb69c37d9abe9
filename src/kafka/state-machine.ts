import { KafkaStateError } from './errors.js';

/** For each state, the states it may move to. A state missing from every list is final. */
export type TransitionTable<S extends string> = { readonly [From in S]: readonly S[] };

/**
 * A named lifecycle with a table of legal moves, after kafkajs' transactionStateMachine: any
 * other move throws a KafkaStateError naming both states and the legal ones, so a lifecycle
 * bug fails loudly where it happens instead of corrupting state later.
 */
export class StateMachine<S extends string> {
  #state: S;
  constructor(
    readonly name: string,
    private readonly table: TransitionTable<S>,
    initial: S,
  ) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  is(...states: S[]): boolean {
    return states.includes(this.#state);
  }

  can(next: S): boolean {
    return this.table[this.#state].includes(next);
  }

  to(next: S): void {
    if (!this.can(next)) {
      const legal = this.table[this.#state];
      throw new KafkaStateError(
        `${this.name}: cannot go from ${this.#state} to ${next} (from ${this.#state}: ${legal.length ? legal.join(', ') : 'none, it is final'})`,
      );
    }
    this.#state = next;
  }
}
