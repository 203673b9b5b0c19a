import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Media URLs are fetched by the provider, and before that they are checked against MEDIA_HOSTS.
 * Both must see the same URL, so what we store and forward is the WHATWG-normalised `href` that the
 * check parsed, and input whose meaning changes under that normalisation is refused outright:
 * `https://cdn.example.com\@evil.com/a.mp4` parses with host `cdn.example.com`, yet another parser
 * given the raw text may well fetch from `evil.com`.
 */
export function urlSpellingProblem(raw: string): string | null {
  if (raw.includes('\\')) return 'must not contain backslashes';
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return 'must not contain whitespace or control characters';
  if (!/^https:\/\/[^/]/i.test(raw)) return 'must start with https:// and a host';
  return null;
}

/** Names that only mean something inside a network: never a public CDN. */
const PRIVATE_NAME_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.lan', '.intranet'];

const privateAddresses = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, where cloud metadata services answer (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 3], // multicast, reserved and broadcast
] as const) {
  privateAddresses.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local, AWS's metadata service at fd00:ec2::254 included
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
] as const) {
  privateAddresses.addSubnet(network, prefix, 'ipv6');
}

/** `::ffff:7f00:1` (how URL writes ::ffff:127.0.0.1) as the IPv4 address it carries, or null. */
function mappedIpv4(address: string): string | null {
  const match = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address) ?? null;
  if (match?.[1] === undefined || match[2] === undefined) return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? null;
  const high = Number.parseInt(match[1], 16);
  const low = Number.parseInt(match[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * Whether a URL's hostname (as `URL.hostname` spells it: lower case, IPv4 in dotted quads, IPv6 in
 * brackets) names loopback, a private or link-local network, or a cloud metadata service. The API
 * decides on the name alone (the provider resolves pulled media, and its DNS answer is not ours to
 * see); the worker, which fetches FILE_UPLOAD media itself, also checks each address it resolves.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv4(bare)) return privateAddresses.check(bare, 'ipv4');
  if (isIPv6(bare)) {
    const v4 = mappedIpv4(bare);
    if (v4 !== null && isIPv4(v4)) return privateAddresses.check(v4, 'ipv4');
    return privateAddresses.check(bare, 'ipv6');
  }
  // A single label (`intranet`) resolves through the resolver's search domains: somewhere local.
  if (!bare.includes('.')) return true;
  if (bare === 'metadata.google.internal') return true;
  return PRIVATE_NAME_SUFFIXES.some((suffix) => bare.endsWith(suffix));
}

/** A TikTok video's public page. TikTok redirects a wrong handle, but the right one reads better. */
export function tiktokVideoUrl(username: string, videoId: string): string {
  return `https://www.tiktok.com/@${encodeURIComponent(username)}/video/${videoId}`;
}
