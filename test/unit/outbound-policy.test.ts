import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { OutboundRefusedError } from '../../src/errors.ts';
import { guardedLookup, type ResolveAll } from '../../src/outbound/guarded-lookup.ts';
import { createOutboundPolicy, normalizeOutboundList } from '../../src/outbound/outbound-policy.ts';

const policy = (allow: string[] = [], deny: string[] = []) => createOutboundPolicy({ allow, deny });
const refused = (p: ReturnType<typeof policy>, address: string, hostname?: string) =>
  p.refusal(address, hostname) !== undefined;

describe('outbound policy', () => {
  it('by default refuses loopback, private, CGNAT, unspecified, multicast, broadcast, link-local and metadata', () => {
    const p = policy();
    const denied = [
      '127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:1',
      '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '100.127.255.255',
      '0.0.0.0', '0.1.2.3', '::', '224.0.0.1', '239.255.255.250', '255.255.255.255', 'ff02::1',
      'fc00::1', 'fd12:3456::1', '169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254',
      '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '100.100.100.200',
      // NAT64 (64:ff9b::/96) forms of loopback and metadata
      '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe',
    ];
    for (const address of denied) assert.ok(refused(p, address), `${address} is refused`);
    const allowed = [
      '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700::1111',
      '64:ff9b::808:808',
    ];
    for (const address of allowed) assert.equal(p.refusal(address), undefined, `${address} is allowed`);
  });

  it('names the address and the settings in its refusal', () => {
    assert.equal(
      policy().refusal('127.0.0.1'),
      'address 127.0.0.1 is not allowed by the outbound policy (AUDITUM_OUTBOUND_ALLOW/DENY)',
    );
    assert.match(policy().refusal('::ffff:7f00:1')!, /^address ::ffff:7f00:1 \(127\.0\.0\.1\) is not allowed/);
  });

  it('allow entries open exactly their ranges, in IPv4-mapped form too', () => {
    const p = policy(['127.0.0.1/32', '10.0.0.0/8', 'fd12::/16']);
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.200.3.4', 'fd12::7']) {
      assert.ok(!refused(p, address), address);
    }
    for (const address of ['127.0.0.2', '::1', '192.168.0.1', 'fd13::1']) assert.ok(refused(p, address), address);
  });

  it('link-local and metadata stay refused under a broad allow entry; only an entry inside them opens them', () => {
    const broad = policy(['0.0.0.0/0', '::/0', '169.0.0.0/8']);
    assert.ok(!refused(broad, '10.0.0.1') && !refused(broad, '127.0.0.1'), 'a broad entry opens private ranges');
    for (const address of ['169.254.169.254', '169.254.1.1', 'fe80::1', 'fd00:ec2::254', '::ffff:169.254.169.254']) {
      assert.ok(refused(broad, address), `${address} is still refused`);
    }
    const linkLocal = policy(['169.254.0.0/16']);
    assert.ok(!refused(linkLocal, '169.254.1.1'));
    assert.ok(refused(linkLocal, '169.254.169.254'), 'the link-local range does not name the metadata address');
    const metadata = policy(['169.254.169.254', 'fd00:ec2::254/128']);
    assert.ok(!refused(metadata, '169.254.169.254') && !refused(metadata, '::ffff:169.254.169.254'));
    assert.ok(!refused(metadata, 'fd00:ec2::254'));
    assert.ok(refused(metadata, '169.254.169.253'));
  });

  it('a host name entry allows the addresses that name resolves to, but never link-local or metadata ones', () => {
    const p = policy(['collector.internal', '*.corp.example']);
    assert.ok(!refused(p, '10.0.0.5', 'collector.internal'));
    assert.ok(!refused(p, '127.0.0.1', 'Collector.Internal.'));
    assert.ok(!refused(p, '192.168.1.1', 'logs.eu.corp.example'));
    assert.ok(refused(p, '192.168.1.1', 'corp.example'), '*. matches names under it only');
    assert.ok(refused(p, '10.0.0.5', 'other.internal'));
    assert.ok(refused(p, '10.0.0.5'), 'a literal address is not a name');
    assert.ok(refused(p, '169.254.169.254', 'collector.internal'));
  });

  it('deny entries win over allow entries, for ranges and names', () => {
    const p = policy(['10.0.0.0/8', 'collector.internal'], ['10.0.0.5', 'evil.example', '8.8.8.0/24']);
    assert.ok(refused(p, '10.0.0.5') && !refused(p, '10.0.0.6'));
    assert.ok(refused(p, '10.0.0.5', 'collector.internal'));
    assert.ok(refused(p, '8.8.8.8') && !refused(p, '8.8.4.4'));
    assert.ok(refused(p, '93.184.216.34', 'evil.example'));
    assert.match(p.urlRefusal(new URL('https://EVIL.example/x'))!, /^host evil\.example is not allowed/);
  });

  it('checks literal URL hosts in every numeric form before any lookup; host names are left to connect time', () => {
    const p = policy();
    const literal = [
      'http://127.0.0.1/', 'http://0x7f000001/', 'http://2130706433/', 'http://017700000001/', 'http://127.1/',
      'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
    ];
    for (const url of literal) assert.ok(p.urlRefusal(new URL(url)), `${url} is refused`);
    assert.equal(p.urlRefusal(new URL('http://localhost:4318/v1/logs')), undefined);
    assert.equal(p.urlRefusal(new URL('https://collector.example.com/v1/logs')), undefined);
    assert.equal(p.urlRefusal(new URL('https://93.184.216.34/v1/logs')), undefined);
  });

  it('reads lists into normal form and names each bad entry', () => {
    const list = ' 127.0.0.1/32, 10.0.0.0/8 ,collector.internal,[::1],::ffff:127.0.0.1/128, *.Corp.Example,192.168.0.7';
    assert.deepEqual(normalizeOutboundList(list), {
      entries: [
        '127.0.0.1/32', '10.0.0.0/8', 'collector.internal', '::1/128', '127.0.0.1/32', '*.corp.example', '192.168.0.7/32',
      ],
      problems: [],
    });
    const { entries, problems } = normalizeOutboundList('10.0.0.0/33,0x7f000001,not a host!,1.2.3.4/8/9,http://x,::1/129');
    assert.deepEqual(entries, []);
    assert.equal(problems.length, 6, problems.join('; '));
    assert.match(problems[1]!, /numeric form of 127\.0\.0\.1/);
  });

  it('configuration: AUDITUM_OUTBOUND_ALLOW/DENY are parsed once, and a bad entry names the variable', () => {
    const env = { AUDITUM_OUTBOUND_ALLOW: '127.0.0.1,collector.internal', AUDITUM_OUTBOUND_DENY: '10.9.0.0/16' };
    const config = loadConfig(env);
    assert.deepEqual(config.outboundAllow, ['127.0.0.1/32', 'collector.internal']);
    assert.deepEqual(config.outboundDeny, ['10.9.0.0/16']);
    assert.deepEqual(loadConfig({}).outboundAllow, []);
    assert.throws(() => loadConfig({ AUDITUM_OUTBOUND_ALLOW: '10.0.0.0/40' }), /AUDITUM_OUTBOUND_ALLOW: "10\.0\.0\.0\/40"/);
    assert.throws(() => loadConfig({ AUDITUM_OUTBOUND_DENY: 'bad host' }), /AUDITUM_OUTBOUND_DENY/);
  });
});

describe('guarded lookup', () => {
  const resolver = (addresses: LookupAddress[]): ResolveAll => (_name, _options, callback) => callback(null, addresses);
  const lookup = (addresses: LookupAddress[], all: boolean) =>
    new Promise<{ error: Error | null; result: unknown; family?: number }>((resolve) => {
      guardedLookup(policy(), resolver(addresses))('collector.example.com', { all }, (error, result, family) =>
        resolve({ error, result, family }),
      );
    });

  it('refuses when any resolved address is refused, so a name cannot mix public and internal addresses', async () => {
    const { error } = await lookup([{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.1', family: 4 }], true);
    assert.ok(error instanceof OutboundRefusedError);
    assert.match(error.message, /address 10\.0\.0\.1 is not allowed by the outbound policy/);
    const mapped = await lookup([{ address: '::ffff:169.254.169.254', family: 6 }], false);
    assert.ok(mapped.error instanceof OutboundRefusedError);
  });

  it('hands allowed addresses to the connection in the shape it asked for', async () => {
    const addresses = [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }];
    assert.deepEqual(await lookup(addresses, true), { error: null, result: addresses, family: undefined });
    assert.deepEqual(await lookup(addresses, false), { error: null, result: '93.184.216.34', family: 4 });
  });
});
