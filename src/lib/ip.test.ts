import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  blankPartialAddresses,
  blockListOf,
  canonicalIp,
  cidrError,
  familyOf,
  IP_REGEX,
  isWholeAddress,
  maskIp,
} from './ip.js';

describe('canonicalIp()', () => {
  const rows: readonly [string, string | undefined][] = [
    ['1.2.3.4', '1.2.3.4'],
    ['255.255.255.255', '255.255.255.255'],
    ['0.0.0.0', '0.0.0.0'],
    ['01.2.3.4', undefined],
    ['1.2.3.256', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['fe80::1:0:0:0', 'fe80::1:0:0:0'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['::ffff:0102:0304', '1.2.3.4'],
    ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['1::2::3', undefined],
    ['12345::1', undefined],
    ['::g', undefined],
    ['fe80::1%eth0', undefined],
    ['::ffff:1.2.3.256', undefined],
    // The longest address there is: 45 characters.
    ['0000:0000:0000:0000:0000:ffff:255.255.255.255', '255.255.255.255'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['1:2:3:4::5:6:7:8', undefined],
    // Only ::ffff:0:0/96 is IPv4: one group off and it stays IPv6.
    ['1:0:0:0:0:ffff:102:304', '1::ffff:102:304'],
    ['0:1:0:0:0:ffff:102:304', '0:1::ffff:102:304'],
    ['0:0:1:0:0:ffff:102:304', '::1:0:0:ffff:102:304'],
    ['0:0:0:1:0:ffff:102:304', '::1:0:ffff:102:304'],
    ['0:0:0:0:1:ffff:102:304', '::1:ffff:102:304'],
    ['::fffe:102:304', '::fffe:102:304'],
    ['', undefined],
    ['localhost', undefined],
  ];
  for (const [text, canonical] of rows) {
    test(`canonicalIp() of ${JSON.stringify(text)} is ${canonical ?? 'undefined'}`, () => {
      assert.equal(canonicalIp(text), canonical);
    });
  }
});

describe('familyOf()', () => {
  for (const [value, family] of [
    ['1.2.3.4', 'ipv4'],
    ['1.2.3.0/24', 'ipv4'],
    ['::1', 'ipv6'],
    ['2001:db8::/32', 'ipv6'],
  ] as const) {
    test(`familyOf() of ${value} is ${family}`, () => assert.equal(familyOf(value), family));
  }
});

describe('maskIp()', () => {
  const rows: readonly [string, number, string][] = [
    ['1.2.3.4', 24, '1.2.3.0/24'],
    ['1.2.3.4', 32, '1.2.3.4/32'],
    ['1.2.3.4', 0, '0.0.0.0/0'],
    ['192.168.255.255', 17, '192.168.128.0/17'],
    ['10.200.3.4', 9, '10.128.0.0/9'],
    ['2001:db8:1:2:3:4:5:6', 64, '2001:db8:1:2::/64'],
    ['2001:db8:1:2ff:3:4:5:6', 60, '2001:db8:1:2f0::/60'],
    ['2001:db8::1', 128, '2001:db8::1/128'],
    ['2001:db8::1', 0, '::/0'],
    ['2001:db8:ffff::1', 33, '2001:db8:8000::/33'],
  ];
  for (const [address, prefix, network] of rows) {
    test(`maskIp() of ${address} to /${prefix} is ${network}`, () => {
      assert.equal(maskIp(address, prefix), network);
    });
  }
});

describe('cidrError()', () => {
  const rows: readonly [string, string | undefined][] = [
    ['10.0.0.0/8', undefined],
    ['10.0.0.1/8', undefined],
    ['1.2.3.4', undefined],
    ['0.0.0.0/0', undefined],
    ['1.2.3.4/32', undefined],
    ['fe80::/10', undefined],
    ['::/0', undefined],
    ['::1/128', undefined],
    ['::ffff:10.0.0.0/104', undefined],
    ['10.0.0.0/33', 'the prefix length must be an integer from 0 to 32, got "33"'],
    ['fe80::/129', 'the prefix length must be an integer from 0 to 128, got "129"'],
    ['10.0.0.0/-1', 'the prefix length must be an integer from 0 to 32, got "-1"'],
    ['10.0.0.0/8.5', 'the prefix length must be an integer from 0 to 32, got "8.5"'],
    ['10.0.0.0/', 'the prefix length must be an integer from 0 to 32, got ""'],
    ['10.0.0.0/0008', 'the prefix length must be an integer from 0 to 32, got "0008"'],
    ['10.0.0/8', '"10.0.0" is not an IP address'],
    ['localhost/8', '"localhost" is not an IP address'],
    ['/8', '"" is not an IP address'],
    ['1.2.3.4/8/9', 'expected an address and a prefix length such as "10.0.0.0/8"'],
  ];
  for (const [cidr, why] of rows) {
    test(`cidrError() of ${JSON.stringify(cidr)} is ${why === undefined ? 'none' : JSON.stringify(why)}`, () => {
      assert.equal(cidrError(cidr), why);
    });
  }
});

describe('blockListOf()', () => {
  const list = blockListOf(['10.0.0.0/8', '192.0.2.7', 'fe80::/10', '::ffff:172.16.0.0/108']);
  const rows: readonly [string, 'ipv4' | 'ipv6', boolean][] = [
    ['10.1.2.3', 'ipv4', true],
    ['11.1.2.3', 'ipv4', false],
    ['192.0.2.7', 'ipv4', true],
    ['192.0.2.8', 'ipv4', false],
    ['fe80::1', 'ipv6', true],
    ['fec0::1', 'ipv6', false],
    ['172.16.5.5', 'ipv4', true],
    ['172.32.5.5', 'ipv4', false],
  ];
  for (const [address, family, blocked] of rows) {
    test(`blockListOf() ${blocked ? 'holds' : 'does not hold'} ${address}`, () => {
      assert.equal(list.check(address, family), blocked);
    });
  }
});

describe('isWholeAddress()', () => {
  /** The line with the address between [ and ], and whether it is whole there. */
  const rows: readonly [string, boolean][] = [
    ['from [1.2.3.4] port', true],
    ['from [1.2.3.4]', true],
    ['[1.2.3.4] at the start', true],
    ['rhost=[5.36.59.76].dsl.example.net', false],
    ['rhost=[5.36.59.76]. user', true],
    ['host [1.2.3.4]:22', true],
    ['host:[1.2.3.4] port', true],
    ['x[1.2.3.4]', false],
    ['9.[1.2.3.4]', false],
    ['[1.2.3.4]5', false],
    ['[1.2.3.4]_x', false],
    ['[1.2.3.4]-x', true],
    ['from [2001:db8::1] port', true],
    ['from [2001:db8::1]:22', false],
    ['from :[2001:db8::1]', false],
    ['from [2001:db8::1]%eth0', true],
    ['from [2001:db8::1].x', false],
  ];
  for (const [marked, whole] of rows) {
    test(`isWholeAddress() says ${whole ? 'whole' : 'not whole'}: ${marked}`, () => {
      const start = marked.indexOf('[');
      const end = marked.indexOf(']') - 1;
      const line =
        marked.slice(0, start) + marked.slice(start + 1, end + 1) + marked.slice(end + 2);
      assert.equal(isWholeAddress(line, start, end), whole);
    });
  }
});

describe('IP_REGEX', () => {
  // The dialect's sources are plain enough for V8 here: each must match a whole address,
  // its first match the longest (RE2 cannot backtrack to a longer one).
  const rows: readonly [string, 'ipv4' | 'ipv6', boolean][] = [
    ['0.0.0.0', 'ipv4', true],
    ['255.255.255.255', 'ipv4', true],
    ['249.199.99.9', 'ipv4', true],
    ['256.1.1.1', 'ipv4', false],
    ['1.2.3', 'ipv4', false],
    ['01.2.3.4', 'ipv4', false],
    ['1:2:3:4:5:6:7:8', 'ipv6', true],
    ['ABCD:ef01:2345:6789:abcd:EF01:2345:6789', 'ipv6', true],
    ['1:2:3:4:5:6:1.2.3.4', 'ipv6', true],
    ['1:2::3:1.2.3.4', 'ipv6', true],
    ['::ffff:1.2.3.4', 'ipv6', true],
    ['::', 'ipv6', true],
    ['::1', 'ipv6', true],
    ['1::', 'ipv6', true],
    ['1:2:3::4:5:6:7', 'ipv6', true],
    ['12345::1', 'ipv6', false],
    ['1:2:3:4:5:6:7', 'ipv6', false],
    ['1.2.3.4', 'ipv6', false],
  ];
  for (const [text, family, whole] of rows) {
    test(`IP_REGEX.${family} ${whole ? 'matches' : 'does not match'} ${text} whole, first`, () => {
      const first = new RegExp(IP_REGEX[family]).exec(text)?.[0];
      assert.equal(first === text, whole, `first match ${first}`);
    });
  }
});

describe('blankPartialAddresses()', () => {
  const rows: readonly [string, string, string][] = [
    ['a line without an address unchanged', 'no address here', 'no address here'],
    [
      'whole addresses unchanged',
      'from 1.2.3.4 and [2001:db8::1]:22',
      'from 1.2.3.4 and [2001:db8::1]:22',
    ],
    [
      'a host name that starts like an address',
      'rhost=5.36.59.76.dsl.example.net x',
      `rhost=${'@'.repeat(26)} x`,
    ],
    ['a version of five numbers', 'v 1.2.3.4.5 then 9.9.9.9', 'v @@@@@@@@@ then 9.9.9.9'],
    [
      'each of several decoys, and nothing else',
      'a 1.2.3.4x b 5.6.7.8y 1.1.1.1',
      'a @@@@@@@@ b @@@@@@@@ 1.1.1.1',
    ],
    ['an IPv6 address inside a longer token', 'id=2001:db8::1:zz', 'id=@@@@@@@@@@@@@@'],
    ['one-character tokens left alone', '1 : . 2', '1 : . 2'],
  ];
  for (const [name, line, blanked] of rows) {
    test(`blankPartialAddresses() blanks ${name}`, () => {
      const out = blankPartialAddresses(line);
      assert.equal(out.length, line.length);
      assert.equal(out.replaceAll('\u0000', '@'), blanked);
    });
  }
});
