import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer >= 0, got "${value}"`);
  return n;
}

export function fraction(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a fraction in [0, 1), got "${value}"`);
  return n;
}

/** Hidden layer widths, "256,128": one or more positive integers. */
export function layerSizes(value: string): number[] {
  const sizes = value.split(',').map((part) => Number(part.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new InvalidArgumentError(`expected comma-separated positive integers such as 256,128, got "${value}"`);
  }
  return sizes;
}
