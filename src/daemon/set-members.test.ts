// Reading kernel set members back from nft's JSON listing and from `ipset save`, as real
// nft 1.0.6 and ipset 7 print them, and writing them as nft script lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipsetMembers, nftElementLines, nftMembers } from './set-members.js';

const NFT = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'riposte', handle: 1 } },
    {
      set: {
        family: 'inet',
        name: 'bans',
        table: 'riposte',
        type: 'ipv4_addr',
        handle: 2,
        flags: ['interval'],
        elem: [
          '10.1.2.3',
          { prefix: { addr: '11.0.0.0', len: 8 } },
          { range: ['192.168.1.1', '192.168.1.5'] },
        ],
      },
    },
    { set: { family: 'inet', name: 'empty', table: 'riposte', type: 'ipv6_addr', handle: 3 } },
    {
      set: {
        family: 'inet',
        name: 'timed',
        table: 'riposte',
        type: 'ipv6_addr',
        elem: [{ elem: { val: '2001:db8::1', timeout: 60 } }],
      },
    },
    { chain: { family: 'inet', table: 'riposte', name: 'input', handle: 1 } },
  ],
});

test('nftMembers() reads addresses, prefixes and ranges of each set of the listing', () => {
  assert.deepEqual(
    nftMembers(NFT),
    new Map([
      ['bans', ['10.1.2.3', '11.0.0.0/8', '192.168.1.1-192.168.1.5']],
      ['empty', []],
      ['timed', ['2001:db8::1']],
    ]),
  );
});

test('nftElementLines() writes a thousand elements per line', () => {
  const elements = Array.from({ length: 2001 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  const lines = nftElementLines('add', 'inet riposte bans', elements);
  assert.equal(lines.length, 3);
  assert.ok(lines[0]!.startsWith('add element inet riposte bans { 10.0.0.0, 10.0.0.1,'));
  assert.equal(lines[2], 'add element inet riposte bans { 10.0.7.208 }');
  assert.deepEqual(nftElementLines('delete', 'inet riposte bans', []), []);
});

test('ipsetMembers() reads the members of the named set from ipset save', () => {
  const saved = [
    'create bans hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xdf632a14',
    'add bans 10.0.0.0/24',
    'add bans 10.9.9.9',
    'add bansother 10.1.1.1',
    '',
  ].join('\n');
  assert.deepEqual(ipsetMembers(saved, 'bans'), ['10.0.0.0/24', '10.9.9.9']);
});
