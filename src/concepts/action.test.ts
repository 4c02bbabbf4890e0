// The action concept as a table: an action as written, in a filter whose regex captures the
// patterns given, and every field of the Action built from it, or the errors it gets. The
// built-in set types' fields (families, hooks, target, ports, protocols) go into firewall
// scripts: each is checked here, not only that the configuration loads.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Action } from './action.js';
import { loadConfig } from './config.js';
import { renderTemplate } from './template.js';

let dir = '';
let files = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-action-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const IP = { ip: { type: 'ip' } };

interface Written {
  readonly action: unknown;
  /** The patterns declared; the regex captures each of them. */
  readonly patterns?: Readonly<Record<string, unknown>>;
  /** More streams beside the filter's own (a virtual target). */
  readonly streams?: Readonly<Record<string, unknown>>;
  readonly top?: Readonly<Record<string, unknown>>;
}

/** The action `a` of filter s.f built from `w`, or the messages of the errors. */
async function build(w: Written): Promise<Action | string[]> {
  const { file, loaded } = await load(w);
  if (!loaded.ok)
    return loaded.errors.map((e) => e.message.slice(file.length + 1).replace(/^\d+:\d+: /, ''));
  return loaded.config.streams[0]!.filters[0]!.actions[0]!;
}

/** The configuration of `w` written (indented) and loaded. */
async function load(w: Written) {
  const patterns = w.patterns ?? IP;
  const regex = Object.keys(patterns)
    .map((name) => `<${name}>`)
    .join(' then ');
  const config = {
    patterns,
    streams: {
      s: { cmd: ['true'], filters: { f: { regex: [`from ${regex}`], actions: { a: w.action } } } },
      ...w.streams,
    },
    ...w.top,
  };
  const file = join(dir, `c${files++}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { file, loaded: await loadConfig(file) };
}

async function built(w: Written): Promise<Action> {
  const a = await build(w);
  assert.ok(!Array.isArray(a), `errors: ${JSON.stringify(a)}`);
  return a;
}

async function refused(w: Written): Promise<string[]> {
  const a = await build(w);
  assert.ok(Array.isArray(a), 'the configuration loaded');
  return a;
}

/** The fields of a set action, as the firewall reads them. */
function setFields(a: Action) {
  assert.ok(a.type === 'nftables' || a.type === 'ipset', a.type);
  const { type, set, add, pattern, families, chains, target, ports, protocols, options } = a;
  return {
    type,
    set,
    add,
    pattern,
    families,
    chains,
    target,
    ports,
    protocols,
    options: { ...options },
  };
}

describe('buildAction(): the fields every action has', () => {
  test('an immediate command: no delay, not delayed, any family, read from the ip pattern', async () => {
    const a = await built({ action: { cmd: ['ban', '<ip>'] } });
    assert.deepEqual(
      {
        name: a.name,
        type: a.type,
        after: a.after,
        delayed: a.delayed,
        onexit: a.onexit,
        oneshot: a.oneshot,
        family: a.family,
        familyPattern: a.familyPattern,
      },
      {
        name: 'a',
        type: 'cmd',
        after: 0,
        delayed: false,
        onexit: false,
        oneshot: false,
        family: 'any',
        familyPattern: 0,
      },
    );
    assert.ok(a.type === 'cmd' && a.cmd.join(' ') === 'ban <ip>');
  });

  test('"after: 0s" is still a delayed action; onexit is kept', async () => {
    const a = await built({ action: { cmd: ['x'], after: '0s', onexit: true } });
    assert.deepEqual([a.after, a.delayed, a.onexit], [0, true, true]);
    const b = await built({ action: { cmd: ['x'], after: '2m' } });
    assert.deepEqual([b.after, b.delayed, b.onexit], [120_000, true, false]);
  });

  test('oneshot on an immediate action; the family from ipv4only and ipv6only', async () => {
    const a = await built({ action: { cmd: ['x'], oneshot: true, ipv4only: true } });
    assert.deepEqual([a.oneshot, a.family], [true, 'ipv4']);
    const b = await built({ action: { cmd: ['x'], ipv6only: true, ipv4only: false } });
    assert.deepEqual([b.oneshot, b.family], [false, 'ipv6']);
  });

  test('the family is read from the first pattern of an address type, wherever it is', async () => {
    const patterns = { user: { regex: '\\w+' }, src: { type: 'ipv4' } };
    const a = await built({ action: { cmd: ['x', '<src>'], ipv4only: true }, patterns });
    assert.equal(a.familyPattern, 1);
  });

  test('the command renders the values of the match, by pattern name', async () => {
    const patterns = { user: { regex: '\\w+' }, ip: { type: 'ip' } };
    const a = await built({ action: { cmd: ['ban', '<ip>', 'for <user>'] }, patterns });
    assert.ok(a.type === 'cmd');
    // The match's values come in the filter's pattern order: user, then ip.
    assert.deepEqual(
      a.argv.map((t) => renderTemplate(t, ['bob', '192.0.2.1'])),
      ['ban', '192.0.2.1', 'for bob'],
    );
  });

  const errors: readonly [string, Written, string[]][] = [
    [
      'an action that is not a map',
      { action: 5 },
      ['streams.s.filters.f.actions.a: expected a map, got the integer 5'],
    ],
    [
      'an unknown type',
      { action: { type: 'iptables', cmd: ['x'] } },
      [
        'streams.s.filters.f.actions.a.type: expected one of "cmd", "virtual", "cluster", "ipset", "nftables", got the string "iptables"',
      ],
    ],
    [
      'a flag that is not a boolean, and nothing more',
      { action: { cmd: ['x'], onexit: 'yes' } },
      ['streams.s.filters.f.actions.a.onexit: expected true or false, got the string "yes"'],
    ],
    [
      'a slot of a pattern the regexes do not capture',
      {
        action: { cmd: ['x', '<user>'] },
        patterns: { ip: { type: 'ip' } },
        top: { patterns: { ip: { type: 'ip' }, user: { regex: '\\w+' } } },
      },
      [
        "streams.s.filters.f.actions.a.cmd[1]: <user> is a pattern that this filter's regexes do not capture",
      ],
    ],
    [
      'onexit without after',
      { action: { cmd: ['x'], onexit: true } },
      ['streams.s.filters.f.actions.a.onexit: onexit applies to a delayed action: add "after"'],
    ],
    [
      'oneshot with after',
      { action: { cmd: ['x'], oneshot: true, after: '1m' } },
      [
        'streams.s.filters.f.actions.a.oneshot: oneshot applies to an immediate action: it cannot be combined with "after"',
      ],
    ],
    [
      'both families',
      { action: { cmd: ['x'], ipv4only: true, ipv6only: true } },
      ['streams.s.filters.f.actions.a.ipv6only: ipv4only and ipv6only cannot both be true'],
    ],
    [
      'ipv6only without an address pattern',
      { action: { cmd: ['x'], ipv6only: true }, patterns: { user: { regex: '\\w+' } } },
      [
        'streams.s.filters.f.actions.a.ipv6only: the filter has no pattern of type ip, ipv4 or ipv6 to tell the address family',
      ],
    ],
    [
      'ipv4only without an address pattern',
      { action: { cmd: ['x'], ipv4only: true }, patterns: { user: { regex: '\\w+' } } },
      [
        'streams.s.filters.f.actions.a.ipv4only: the filter has no pattern of type ip, ipv4 or ipv6 to tell the address family',
      ],
    ],
    [
      'a command with options',
      { action: { cmd: ['x'], options: {} } },
      ['streams.s.filters.f.actions.a.options: an action of type "cmd" has no options'],
    ],
    [
      'a set type with a command',
      { action: { type: 'nftables', cmd: ['x'], options: { set: 'b' } } },
      [
        'streams.s.filters.f.actions.a.cmd: an action of type "nftables" takes "options", not "cmd"',
      ],
    ],
    [
      'a command type without its command',
      { action: { after: '1m' } },
      ['streams.s.filters.f.actions.a: missing key "cmd"'],
    ],
  ];
  for (const [name, w, expected] of errors) {
    test(`refuses ${name}`, async () => {
      assert.deepEqual(await refused(w), expected);
    });
  }
});

describe('buildAction(): the built-in set types', () => {
  test('nftables with only a set: both families, the input and forward hooks, drop', async () => {
    const a = await built({ action: { type: 'nftables', options: { set: 'bans' } } });
    assert.deepEqual(setFields(a), {
      type: 'nftables',
      set: 'bans',
      add: true,
      pattern: 0,
      families: ['ipv4', 'ipv6'],
      chains: ['input', 'forward'],
      target: 'drop',
      ports: [],
      protocols: [],
      options: { set: 'bans' },
    });
  });

  test('ipset with only a set: the INPUT and FORWARD chains, DROP', async () => {
    const a = await built({ action: { type: 'ipset', options: { set: 'bans' } } });
    const f = setFields(a);
    assert.deepEqual(
      [f.chains, f.target, f.families],
      [['INPUT', 'FORWARD'], 'DROP', ['ipv4', 'ipv6']],
    );
  });

  test('"action" add, del and delete; the pattern named, at its index', async () => {
    const patterns = { user: { regex: '\\w+' }, src: { type: 'ip' } };
    const outcomes: [unknown, boolean][] = [];
    for (const action of ['add', 'del', 'delete']) {
      const options = { set: 'b', action, pattern: 'src' };
      const f = setFields(await built({ action: { type: 'nftables', options }, patterns }));
      outcomes.push([f.pattern, f.add]);
    }
    assert.deepEqual(outcomes, [
      [1, true],
      [1, false],
      [1, false],
    ]);
  });

  test('"version" keeps one family; a pattern of one family keeps its own', async () => {
    const of = async (options: object, patterns: Record<string, unknown> = IP) =>
      setFields(
        await built({ action: { type: 'ipset', options: { set: 'b', ...options } }, patterns }),
      ).families;
    assert.deepEqual(await of({ version: 'ipv4' }), ['ipv4']);
    assert.deepEqual(await of({ version: 'ipv6' }), ['ipv6']);
    assert.deepEqual(await of({ version: 'ip' }), ['ipv4', 'ipv6']);
    assert.deepEqual(await of({}, { ip: { type: 'ipv6' } }), ['ipv6']);
    assert.deepEqual(await of({ version: 'ip' }, { ip: { type: 'ipv4' } }), ['ipv4']);
  });

  test('ports and protocols: tcp by default with ports, udp or both when written', async () => {
    const of = async (options: object) => {
      const f = setFields(
        await built({ action: { type: 'nftables', options: { set: 'b', ...options } } }),
      );
      return [f.ports, f.protocols];
    };
    assert.deepEqual(await of({ ports: [22, '8000-8080'] }), [
      [
        [22, 22],
        [8000, 8080],
      ],
      ['tcp'],
    ]);
    assert.deepEqual(await of({ ports: [53], protocol: 'udp' }), [[[53, 53]], ['udp']]);
    assert.deepEqual(await of({ ports: [53], protocol: 'both' }), [[[53, 53]], ['tcp', 'udp']]);
    assert.deepEqual(await of({ protocol: 'udp' }), [[], ['udp']]);
  });

  test('hooks, or chains in their place, and a target', async () => {
    const of = async (options: object) => {
      const f = setFields(
        await built({ action: { type: 'nftables', options: { set: 'b', ...options } } }),
      );
      return [f.chains, f.target];
    };
    assert.deepEqual(await of({ hooks: ['input'], target: 'reject' }), [['input'], 'reject']);
    assert.deepEqual(await of({ chains: ['forward'] }), [['forward'], 'drop']);
  });

  const errors: readonly [string, object, Record<string, unknown> | undefined, string[]][] = [
    ['no set', {}, undefined, ['streams.s.filters.f.actions.a.options: missing key "set"']],
    [
      'a pattern that is not an address',
      { set: 'b', pattern: 'user' },
      { ip: { type: 'ip' }, user: { regex: '\\w+' } },
      [
        'streams.s.filters.f.actions.a.options.pattern: the filter has no pattern "user" of type ip, ipv4 or ipv6 (a nftables set holds addresses)',
      ],
    ],
    [
      'a version the pattern contradicts',
      { set: 'b', version: 'ipv4' },
      { ip: { type: 'ipv6' } },
      ['streams.s.filters.f.actions.a.options.version: contradicts the pattern "ip" of type ipv6'],
    ],
    [
      'hooks and chains both',
      { set: 'b', hooks: ['input'], chains: ['input'] },
      undefined,
      ['streams.s.filters.f.actions.a.options.chains: write either "hooks" or "chains", not both'],
    ],
    [
      'ports that are not a list',
      { set: 'b', ports: 22 },
      undefined,
      [
        "streams.s.filters.f.actions.a.options.ports: expected a list of ports such as [22, '8000-8080'], got the integer 22",
      ],
    ],
    [
      'an empty list of ports',
      { set: 'b', ports: [] },
      undefined,
      [
        'streams.s.filters.f.actions.a.options.ports: must not be empty (leave "ports" out for every port)',
      ],
    ],
  ];
  for (const [name, options, patterns, expected] of errors) {
    test(`refuses ${name}`, async () => {
      const w = {
        action: { type: 'nftables', options },
        ...(patterns === undefined ? {} : { patterns }),
      };
      assert.deepEqual(await refused(w), expected);
    });
  }
});

describe('buildAction(): virtual and cluster', () => {
  const SINK = {
    sink: {
      type: 'virtual',
      filters: { g: { regex: ['^x <ip>$'], actions: { n: { cmd: ['true'] } } } },
    },
  };

  test('a virtual action keeps its text and target', async () => {
    const a = await built({
      action: { type: 'virtual', options: { send: 'x <ip>', to: 'sink' } },
      streams: SINK,
    });
    assert.ok(a.type === 'virtual');
    assert.deepEqual([a.sendText, a.to], ['x <ip>', 'sink']);
  });

  test('a virtual action without send or to, or to a stream that is not virtual', async () => {
    const path = 'streams.s.filters.f.actions.a.options';
    const of = (options: object) =>
      refused({ action: { type: 'virtual', options }, streams: SINK });
    assert.deepEqual(await of({ to: 'sink' }), [`${path}: missing key "send"`]);
    assert.deepEqual(await of({ send: 'x' }), [`${path}: missing key "to"`]);
    assert.deepEqual(await of({ send: 'x', to: 'sinc' }), [
      `${path}.to: "sinc" is not a stream of type "virtual", did you mean "sink"?`,
    ]);
    assert.deepEqual(await of({ send: 'x', to: 'zzzzzzzz' }), [
      `${path}.to: "zzzzzzzz" is not a stream of type "virtual"`,
    ]);
  });
});

describe('buildAction(): cluster', () => {
  const CLUSTER = { cluster: { node: 'web1', nats: { servers: ['nats://127.0.0.1:4222'] } } };

  test('a share keeps its line', async () => {
    const a = await built({
      action: { type: 'cluster', options: { send: 'ban <ip>' } },
      top: CLUSTER,
    });
    assert.ok(a.type === 'cluster');
    assert.equal(a.sendText, 'ban <ip>');
  });

  test('a share without a line, or with a line break in it', async () => {
    const path = 'streams.s.filters.f.actions.a.options';
    const of = (options: object) => refused({ action: { type: 'cluster', options }, top: CLUSTER });
    assert.deepEqual(await of({}), [`${path}: missing key "send"`]);
    assert.deepEqual(await of({ send: 'ban <ip>\nban 10.0.0.1' }), [
      `${path}.send: a line cannot hold a line break`,
    ]);
    assert.deepEqual(await of({ send: 'ban <ip>\r' }), [
      `${path}.send: a line cannot hold a line break`,
    ]);
  });
});

describe('buildAction(): a value of the wrong kind, named at its key', () => {
  const SINK = {
    sink: {
      type: 'virtual',
      filters: { g: { regex: ['^x <ip>$'], actions: { n: { cmd: ['true'] } } } },
    },
  };
  const CLUSTER = { cluster: { node: 'web1', nats: { servers: ['nats://127.0.0.1:4222'] } } };
  const at = 'streams.s.filters.f.actions.a';
  const set = (options: object) => ({
    action: { type: 'nftables', options: { set: 'b', ...options } },
  });
  const rows: readonly [Written, string][] = [
    [{ action: { cmd: 5 } }, `${at}.cmd: expected a list of strings, got the integer 5`],
    [
      { action: { cmd: ['x'], after: 'soon' } },
      `${at}.after: cannot parse duration "soon": expected an integer followed by a unit, such as "48h" or "30 min"`,
    ],
    [
      { action: { cmd: ['x'], ipv4only: 'yes' } },
      `${at}.ipv4only: expected true or false, got the string "yes"`,
    ],
    [
      { action: { type: 'virtual', options: 5 }, streams: SINK },
      `${at}.options: expected a map, got the integer 5`,
    ],
    [
      { action: { type: 'virtual', options: { send: 5, to: 'sink' } }, streams: SINK },
      `${at}.options.send: expected a string, got the integer 5`,
    ],
    [
      { action: { type: 'virtual', options: { send: 'x', to: 5 } }, streams: SINK },
      `${at}.options.to: expected a string, got the integer 5`,
    ],
    [
      { action: { type: 'cluster', options: 5 }, top: CLUSTER },
      `${at}.options: expected a map, got the integer 5`,
    ],
    [
      { action: { type: 'cluster', options: { send: 5 } }, top: CLUSTER },
      `${at}.options.send: expected a string, got the integer 5`,
    ],
    [
      { action: { type: 'nftables', options: 5 } },
      `${at}.options: expected a map, got the integer 5`,
    ],
    [set({ set: 5 }), `${at}.options.set: expected a string, got the integer 5`],
    [
      set({ set: 'bad name!' }),
      `${at}.options.set: a set name is 1 to 28 letters, digits, "_" or "-"`,
    ],
    [
      set({ action: 'drop' }),
      `${at}.options.action: expected one of "add", "del", "delete", got the string "drop"`,
    ],
    [set({ pattern: 5 }), `${at}.options.pattern: expected a string, got the integer 5`],
    [
      set({ version: 'ipv5' }),
      `${at}.options.version: expected one of "ip", "ipv4", "ipv6", got the string "ipv5"`,
    ],
    [set({ target: 5 }), `${at}.options.target: expected a string, got the integer 5`],
    [
      set({ target: 'accept; flush ruleset' }),
      `${at}.options.target: "accept; flush ruleset" is not a verdict riposte writes: expected one of drop, reject, accept`,
    ],
    [
      set({ hooks: ['input; drop'] }),
      `${at}.options.hooks[0]: "input; drop" is not a hook of an nftables inet table: expected one of prerouting, input, forward, output, postrouting`,
    ],
    [
      set({ chains: ['input', 'INPUT'] }),
      `${at}.options.chains[1]: "INPUT" is not a hook of an nftables inet table: expected one of prerouting, input, forward, output, postrouting`,
    ],
    [
      set({ hooks: 'input' }),
      `${at}.options.hooks: expected a list of strings, got the string "input"`,
    ],
    [
      set({ ports: [22, 'x'] }),
      `${at}.options.ports[1]: expected a port from 1 to 65535 or a range such as "8000-8080", got "x"`,
    ],
    [
      set({ protocol: 'icmp' }),
      `${at}.options.protocol: expected one of "tcp", "udp", "both", got the string "icmp"`,
    ],
    [
      { action: { type: 'ipset', options: { set: 'b', hooks: ['INPUT'] } } },
      `${at}.options.hooks: unknown key`,
    ],
  ];
  for (const [w, message] of rows) {
    test(`refuses ${JSON.stringify(w.action)}`, async () => {
      assert.deepEqual(await refused(w), [message]);
    });
  }

  test('a set action naming a pattern that is broken says only what breaks the pattern', async () => {
    const patterns = { ip: { type: 'ip' }, bad: { regex: '(' } };
    const w = { action: { type: 'nftables', options: { set: 'b', pattern: 'bad' } }, patterns };
    // The regex captures <ip> then <bad>: the broken pattern is reported where it is declared.
    assert.deepEqual(await refused(w), [
      'patterns.bad.regex: invalid regex: unclosed group (at character 1)',
    ]);
  });
});

describe('buildAction(): every option of the set types', () => {
  test('ipset with each of its options', async () => {
    const options = {
      set: 'b',
      action: 'del',
      pattern: 'ip',
      version: 'ipv4',
      chains: ['INPUT'],
      target: 'REJECT',
      ports: [22],
      protocol: 'tcp',
    };
    const f = setFields(await built({ action: { type: 'ipset', options } }));
    assert.deepEqual(f, {
      type: 'ipset',
      set: 'b',
      add: false,
      pattern: 0,
      families: ['ipv4'],
      chains: ['INPUT'],
      target: 'REJECT',
      ports: [[22, 22]],
      protocols: ['tcp'],
      options,
    });
  });

  test('nftables with no hook: a set with no rule', async () => {
    const f = setFields(
      await built({ action: { type: 'nftables', options: { set: 'b', hooks: [] } } }),
    );
    assert.deepEqual(f.chains, []);
  });
});

describe('buildAction(): what the regexes capture, and where an error points', () => {
  const USER = { ip: { type: 'ip' }, user: { regex: '\\w+' } };
  const at = 'streams.s.filters.f.actions.a';
  const notCaptured = "<user> is a pattern that this filter's regexes do not capture";

  test('a virtual or a cluster line with a slot the regexes do not capture', async () => {
    const sink = {
      v: {
        type: 'virtual',
        filters: { g: { regex: ['^<ip>$'], actions: { n: { cmd: ['true'] } } } },
      },
    };
    const cluster = { cluster: { node: 'web1', nats: { servers: ['nats://127.0.0.1:4222'] } } };
    const virtual = { type: 'virtual', options: { send: 'x <user>', to: 'v' } };
    assert.deepEqual(
      await refused({ action: virtual, patterns: IP, streams: sink, top: { patterns: USER } }),
      [`${at}.options.send: ${notCaptured}`],
    );
    const share = { type: 'cluster', options: { send: 'ban <user>' } };
    assert.deepEqual(
      await refused({ action: share, patterns: IP, top: { ...cluster, patterns: USER } }),
      [`${at}.options.send: ${notCaptured}`],
    );
  });

  test('a set action naming a broken pattern its regexes do not use says only what breaks it', async () => {
    const patterns = { ip: { type: 'ip' }, bad: { regex: '(' } };
    const action = { type: 'nftables', options: { set: 'b', pattern: 'bad' } };
    assert.deepEqual(await refused({ action, patterns: IP, top: { patterns } }), [
      'patterns.bad.regex: invalid regex: unclosed group (at character 1)',
    ]);
  });

  test('a filter without regex and an action with a slot: the missing regex only', async () => {
    const config = {
      patterns: IP,
      streams: { s: { cmd: ['true'], filters: { f: { actions: { a: { cmd: ['x', '<ip>'] } } } } } },
    };
    const file = join(dir, `c${files++}.json`);
    writeFileSync(file, JSON.stringify(config));
    const loaded = await loadConfig(file);
    assert.ok(!loaded.ok);
    assert.deepEqual(
      loaded.errors.map((e) => e.message.replace(/^[^ ]+ /, '')),
      ['streams.s.filters.f: missing key "regex"'],
    );
  });

  test('"hooks" and "chains" both: the error points at the key "chains"', async () => {
    const options = { set: 'b', hooks: ['input'], chains: ['input'] };
    const { file, loaded } = await load({ action: { type: 'nftables', options } });
    assert.ok(!loaded.ok);
    const lines = readFileSync(file, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('"chains"'));
    const column = lines[line]!.indexOf('"chains"') + 1;
    assert.deepEqual(
      loaded.errors.map((e) => e.message),
      [
        `${file}:${line + 1}:${column}: ${at}.options.chains: write either "hooks" or "chains", not both`,
      ],
    );
  });
});
