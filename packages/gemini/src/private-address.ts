import { BlockList, isIP } from "node:net";

/**
 * Address ranges an image download may not reach by default: everything that is not a public
 * unicast address, so that an image URL cannot make the server read its own network (cloud
 * metadata, admin ports, internal services). `BlockList` also matches the IPv4-mapped IPv6 form
 * (`::ffff:a.b.c.d`) of every IPv4 range, as Node documents.
 */
const DENIED = new BlockList();
const IPV4_RANGES: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network", including the unspecified 0.0.0.0
  ["10.0.0.0", 8], // private (RFC 1918)
  ["100.64.0.0", 10], // carrier-grade NAT (RFC 6598); Alibaba Cloud metadata lives here
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata 169.254.169.254
  ["172.16.0.0", 12], // private (RFC 1918)
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16], // private (RFC 1918)
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
];
const IPV6_RANGES: ReadonlyArray<readonly [string, number]> = [
  ["::", 96], // unspecified ::, loopback ::1, deprecated IPv4-compatible ::a.b.c.d
  ["64:ff9b:1::", 48], // local-use NAT64 (RFC 8215)
  ["2001::", 32], // Teredo: tunnels to an IPv4 host we cannot check
  ["fc00::", 7], // unique local (ULA), e.g. AWS metadata fd00:ec2::254
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];
for (const [net, prefix] of IPV4_RANGES) DENIED.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of IPV6_RANGES) DENIED.addSubnet(net, prefix, "ipv6");

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail included). */
function hextets(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((h) => Number.parseInt(h, 16));
}

/**
 * The IPv4 address a translating IPv6 address reaches: NAT64 `64:ff9b::/96` (RFC 6052) and 6to4
 * `2002::/16` (RFC 3056). Their IPv4 part decides, so `64:ff9b::a9fe:a9fe` is 169.254.169.254.
 */
function embeddedIPv4(address: string): string | undefined {
  const h = hextets(address);
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) {
    return quad(h[6]!, h[7]!);
  }
  if (h[0] === 0x2002) return quad(h[1]!, h[2]!);
  return undefined;
}

/**
 * Whether an image download must not connect to `address` unless private hosts are allowed:
 * loopback, private (RFC 1918, CGNAT `100.64/10`, IPv6 ULA `fc00::/7`), link-local (`169.254/16`
 * with the cloud metadata address, `fe80::/10`), unspecified (`0.0.0.0`, `::`), multicast and
 * reserved addresses, and the IPv4-mapped, NAT64 and 6to4 IPv6 forms of all of these. Anything
 * that is not an IP address counts as private: the check fails closed.
 */
export function isPrivateAddress(address: string): boolean {
  // A scope id (`fe80::1%eth0`) or URL brackets (`[::1]`) are not part of the address.
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return DENIED.check(bare, "ipv4");
  if (family !== 6) return true;
  if (DENIED.check(bare, "ipv6")) return true;
  const v4 = embeddedIPv4(bare);
  return v4 !== undefined && DENIED.check(v4, "ipv4");
}
