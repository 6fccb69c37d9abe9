import { describe, expect, it } from 'vitest';
import { formatIpv4, isNonPublicIpv4, isPublicAddress, parseIpv4, parseIpv4Cidr, publicIpv4 } from '../../src/intel/ipv4.js';

describe('IPv4 parsing', () => {
  it('reads dotted quads as unsigned integers', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('1.0.0.0')).toBe(16_777_216); // the -num.csv form of the ASN README
    expect(parseIpv4('255.255.255.255')).toBe(4_294_967_295);
    expect(formatIpv4(parseIpv4('192.168.10.50')!)).toBe('192.168.10.50');
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '::1', '1.2.3.1000'])('rejects %j', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });

  it('reads CIDR networks, clearing host bits, and bare addresses as /32', () => {
    expect(parseIpv4Cidr('10.1.2.3/8')).toEqual({ base: parseIpv4('10.0.0.0'), prefix: 8 });
    expect(parseIpv4Cidr('45.9.20.7')).toEqual({ base: parseIpv4('45.9.20.7'), prefix: 32 });
    expect(parseIpv4Cidr('0.0.0.0/0')).toEqual({ base: 0, prefix: 0 });
    expect(parseIpv4Cidr('1.2.3.4/33')).toBeUndefined();
    expect(parseIpv4Cidr('1.2.3.4/')).toBeUndefined();
  });

  it('tells public addresses from private and special-purpose ones', () => {
    for (const ip of ['10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.10.50', '127.0.0.1', '169.254.1.1', '100.64.0.1', '224.0.0.251', '255.255.255.255', '0.1.2.3']) {
      expect(isNonPublicIpv4(parseIpv4(ip)!), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '172.15.255.255', '172.32.0.0', '1.0.0.1', '185.220.101.1']) {
      expect(publicIpv4(ip), ip).toBe(parseIpv4(ip));
    }
    expect(publicIpv4('2001:db8::1')).toBeUndefined();
  });

  it('keeps non-public IPv6 and junk out of public lookups', () => {
    expect(['8.8.8.8', '2620:7:6003::141', '2a00:1450:4001:81a::200e'].map(isPublicAddress)).toEqual([true, true, true]);
    expect(['10.1.1.1', '::1', '::', 'fe80::1', 'FD12:3456::1', 'ff02::1', '2001:db8::1', 'host.example', ''].map(isPublicAddress)).toEqual(
      Array(9).fill(false),
    );
  });
});
