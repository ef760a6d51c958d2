import { isIPv4, isIPv6 } from 'node:net';

/** How the client address is stored. */
export type IpMode = 'truncate' | 'full' | 'none';

/**
 * The client's address: the last entry of the trusted proxy's header when one is configured (the address the
 * proxy itself saw; earlier entries are client-supplied and can be forged), else the socket's peer.
 */
export function clientAddress(headers: Headers, remoteAddress: string | undefined, trustedHeader: string | undefined): string | undefined {
  if (trustedHeader) {
    const value = headers.get(trustedHeader);
    const last = value
      ?.split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .pop();
    if (last) return last;
  }
  return remoteAddress;
}

/**
 * The address as stored: IPv4 to its /24 and IPv6 to its /48 by default (enough for coarse geography, not
 * enough to single out a household); NULL for anything that is not an address.
 */
export function storedIp(address: string | undefined, mode: IpMode = 'truncate'): string | null {
  if (!address || mode === 'none') return null;
  let ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) ip = mapped[1];
  if (isIPv4(ip)) {
    if (mode === 'full') return ip;
    return `${ip.split('.').slice(0, 3).join('.')}.0`;
  }
  if (isIPv6(ip)) {
    if (mode === 'full') return ip;
    return `${expandIpv6(ip).slice(0, 3).join(':')}::`;
  }
  return null;
}

// The eight 16-bit groups of an IPv6 address, as hex strings.
function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const parse = (part: string) => (part ? part.split(':') : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  // An embedded IPv4 tail (::1.2.3.4) stands for two groups; /48 never reaches it, so it only needs counting.
  const width = (groups: string[]) => groups.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const zeros = Array.from({ length: Math.max(0, 8 - width(left) - width(right)) }, () => '0');
  return [...left, ...zeros, ...right].map((group) => (group.includes('.') ? group : (Number.parseInt(group, 16) || 0).toString(16)));
}
