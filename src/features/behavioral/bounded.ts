/**
 * `items` with `item` appended, keeping only the newest `capacity`: a new array, `items`
 * untouched. The copy costs O(capacity), a constant, which keeps a feature's step O(1) per
 * event while its state stays plain JSON (no typed ring with a head index to keep in sync).
 */
export function pushBounded<T>(items: readonly T[], item: T, capacity: number): T[] {
  const out = items.slice(items.length >= capacity ? items.length - capacity + 1 : 0);
  out.push(item);
  return out;
}
