/**
 * A level-free "something changed" signal: `wait()` resolves at the next `notify()` or after
 * `timeoutMs`, whichever comes first. Waiters re-check their condition after waking, so a
 * notify with nothing for them costs one loop turn, and none can be missed between a check
 * and a wait (JavaScript runs both in the same turn).
 */
export class Wakeup {
  #waiters = new Set<() => void>();

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  wait(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
      if (timeoutMs !== undefined) timer = setTimeout(wake, Math.max(0, timeoutMs));
    });
  }
}
