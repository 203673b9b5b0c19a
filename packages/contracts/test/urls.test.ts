import { describe, expect, it } from 'vitest';
import { buildCreatePostBodySchema, httpsUrlSchema } from '../src/posts';
import { isPrivateHost } from '../src/urls';

function video(url: string) {
  return {
    accountId: '00000000-0000-4000-8000-000000000000',
    content: 'hello',
    mediaItems: [{ url }],
    settings: { privacyLevel: 'SELF_ONLY', allowComment: true, allowDuet: false, allowStitch: false },
  };
}

describe('media URLs', () => {
  it('stores and forwards the normalised href that the host check saw', () => {
    expect(httpsUrlSchema.parse('HTTPS://CDN.Example.com:443/a b'.replace(' ', '%20'))).toBe('https://cdn.example.com/a%20b');
    expect(httpsUrlSchema.parse('https://cdn.example.com/./x/../a.mp4')).toBe('https://cdn.example.com/a.mp4');
  });

  it('refuses spellings whose meaning changes when normalised', () => {
    for (const raw of [
      'https://cdn.example.com\\@evil.com/a.mp4',
      ' https://cdn.example.com/a.mp4',
      'https://cdn.example.com/a.mp4 ',
      'https://cdn.example.com/a\tb.mp4',
      'https:cdn.example.com/a.mp4',
      'https:/cdn.example.com/a.mp4',
      'https:///cdn.example.com/a.mp4',
    ]) {
      expect(httpsUrlSchema.safeParse(raw).success, raw).toBe(false);
    }
  });

  it('keeps MEDIA_HOSTS to the host that is actually stored', () => {
    const schema = buildCreatePostBodySchema({ mediaHosts: ['cdn.example.com'] });
    expect(schema.safeParse(video('https://cdn.example.com\\@evil.com/a.mp4')).success).toBe(false);
    expect(schema.safeParse(video('https://evil.com/a.mp4')).success).toBe(false);
    const accepted = schema.parse(video('https://CDN.example.com/a.mp4'));
    expect(accepted.mediaItems[0]?.url).toBe('https://cdn.example.com/a.mp4');
  });

  it('tells loopback, private, link-local and metadata hosts from public ones', () => {
    const privateHosts = [
      'localhost',
      'api.localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '[::1]',
      '[::]',
      '[fd00:ec2::254]',
      '[fe80::1]',
      '[::ffff:7f00:1]',
      'metadata.google.internal',
      'printer.local',
      'intranet',
    ];
    for (const host of privateHosts) expect(isPrivateHost(host), host).toBe(true);
    for (const host of ['cdn.example.com', '8.8.8.8', '172.32.0.1', '[2606:4700::1111]', 'localhost.example.com']) expect(isPrivateHost(host), host).toBe(false);
  });

  it('refuses private media hosts unless MEDIA_ALLOW_PRIVATE_HOSTS allows them, however the address is spelled', () => {
    const strict = buildCreatePostBodySchema({});
    const lenient = buildCreatePostBodySchema({ allowPrivateHosts: true });
    // WHATWG URL turns every spelling of an IPv4 address into dotted quads before the check.
    for (const url of ['https://127.0.0.1/a.mp4', 'https://2130706433/a.mp4', 'https://0x7f.1/a.mp4', 'https://[::ffff:127.0.0.1]/a.mp4', 'https://169.254.169.254/latest/a.mp4']) {
      const result = strict.safeParse(video(url));
      expect(result.success, url).toBe(false);
      expect(result.error?.issues[0]?.path.join('.')).toBe('mediaItems.0.url');
      expect(lenient.safeParse(video(url)).success, url).toBe(true);
    }
  });
});
