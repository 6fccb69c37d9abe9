/**
 * IPv4 addresses as unsigned 32-bit integers, so ranges compare as numbers. The parser is
 * hand-written (no regex, no split) because the ASN table parses two addresses per line for
 * 412k lines at load, and the groups parse the source address of every event.
 */

/** The address as an unsigned 32-bit integer, or undefined if `text` is not dotted-quad IPv4. */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero ("010") is rejected: some parsers read it as octal, so it is ambiguous.
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      if (octet > 255 || ++digits > 3) return undefined;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** An IPv4 network: the first address and the prefix length. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
}

/** The network mask of a prefix length, as an unsigned integer (0 for /0). */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * `a.b.c.d/n` (or a bare address, as /32), with the host bits cleared; undefined if malformed.
 * Host bits are cleared rather than rejected: feeds write `1.2.3.4/24` for the /24 around it.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  const address = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  if (slash < 0) return { base: address, prefix: 32 };
  const suffix = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(suffix)) return undefined;
  const prefix = Number(suffix);
  if (prefix > 32) return undefined;
  return { base: (address & prefixMask(prefix)) >>> 0, prefix };
}

/**
 * Ranges that are not routed on the public internet (RFC 6890 special-purpose registry):
 * no reputation service, ASN table or Tor list can say anything about them, and sending them
 * to a paid API would waste its quota.
 */
const NON_PUBLIC: readonly { base: number; mask: number }[] = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // TEST-NET-1
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and the broadcast address
].map((c) => {
  const net = parseIpv4Cidr(c)!;
  return { base: net.base, mask: prefixMask(net.prefix) };
});

/** Whether a parsed address lies in a range that is not publicly routed. */
export function isNonPublicIpv4(address: number): boolean {
  for (const net of NON_PUBLIC) if (((address & net.mask) >>> 0) === net.base) return true;
  return false;
}

/** The address if `text` is a publicly routed IPv4 address, else undefined (private, special, IPv6, junk). */
export function publicIpv4(text: string): number | undefined {
  const address = parseIpv4(text);
  return address === undefined || isNonPublicIpv4(address) ? undefined : address;
}

/**
 * IPv6 prefixes that are not publicly routed, by their leading text: unspecified and
 * loopback (`::`, `::1`), link-local fe80::/10, unique-local fc00::/7, multicast ff00::/8,
 * documentation 2001:db8::/32. A coarse textual check (no IPv6 parser): enough to keep
 * internal IPv6 addresses away from a paid reputation API.
 */
const NON_PUBLIC_IPV6 = /^(::1?$|fe[89ab][0-9a-f]:|f[cd][0-9a-f]{2}:|ff[0-9a-f]{2}:|2001:0?db8:)/i;

/** Whether `text` is an address a public service could know: a public IPv4, or an IPv6 outside the ranges above. */
export function isPublicAddress(text: string): boolean {
  if (parseIpv4(text) !== undefined) return publicIpv4(text) !== undefined;
  return text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text) && !NON_PUBLIC_IPV6.test(text);
}
