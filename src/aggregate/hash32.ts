/**
 * A 32-bit hash of a string: FNV-1a over the UTF-16 code units, then MurmurHash3's fmix32
 * finaliser. FNV alone spreads near-identical keys (IP addresses differing in one digit)
 * poorly over the high bits, which a HyperLogLog reads as its register index; the finaliser
 * makes every input bit affect every output bit. Not cryptographic.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
