// Tables of configurations through loadConfig(): broken ones with the exact list of errors
// they must give (behaviour §1.1–1.7, all at once), valid ones with what the model holds, the
// seed configurations, and the Jsonnet mistake of the second seed's first attempt.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../lib/errors.js';
import type { Action } from './action.js';
import { type Config, loadConfig } from './config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * A file's text written as an indented template literal: the indentation of the template's
 * own lines is removed (not that of interpolated values) with the first newline, and
 * backslashes are kept as written (`\w` stays `\w`).
 */
function text(strings: TemplateStringsArray, ...values: string[]): string {
  const parts = strings.raw.map((part) => part.split('\n'));
  // A line start counts if it holds text, or a value: `    ${IP}` is indented by 4.
  const starts = parts.flatMap((lines, i) =>
    lines
      .map((line, j) => ({ line, value: i < parts.length - 1 && j === lines.length - 1 }))
      .filter(({ line, value }, j) => (i === 0 || j > 0) && (value || line.trim() !== '')),
  );
  const indent = Math.min(...starts.map(({ line }) => line.length - line.trimStart().length));
  const dedented = parts.map((lines, i) =>
    lines.map((line, j) => (i > 0 && j === 0 ? line : line.slice(indent))).join('\n'),
  );
  const joined = dedented.reduce((all, part, i) => all + values[i - 1]! + part);
  return joined.replace(/^\n/, '').replace(/[ \t]+$/, '');
}

/** The smallest valid stream, for rows about something else. */
const STREAM = text`
  streams:
    s:
      cmd: [tail]
      filters:
        f: {regex: ['x <ip>'], actions: {a: {cmd: [echo, <ip>]}}}
`;
const IP = 'patterns: {ip: {type: ip}}\n';

interface Row {
  readonly name: string;
  /** File name (in a fresh temporary directory) → content. */
  readonly files: Readonly<Record<string, string>>;
  /** What -c gets: the first file by default; "." for the directory. */
  readonly path?: string;
  readonly errors: readonly string[];
}

const BROKEN: readonly Row[] = [
  // Syntax, with file:line:col.
  {
    name: 'a YAML flow sequence left open',
    files: { 'c.yml': 'streams:\n  s: [\n' },
    errors: [
      'c.yml:3:1: cannot parse YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  },
  {
    name: 'a YAML key at the wrong indentation',
    files: { 'c.yml': 'streams:\n  s:\n    cmd: [tail]\n   filters: {}\n' },
    errors: ['c.yml:4:1: cannot parse YAML: All mapping items must start at the same column'],
  },
  {
    name: 'a YAML key written twice in one map',
    files: { 'c.yml': `${IP}${STREAM}patterns: {}\n` },
    errors: ['c.yml:7:1: cannot parse YAML: duplicate key "patterns"'],
  },
  {
    name: 'two YAML documents in one file',
    files: { 'c.yml': `${IP}---\n${STREAM}` },
    errors: [
      'c.yml:2:1: cannot parse YAML: a configuration file holds one YAML document, this one has several ("---")',
    ],
  },
  {
    name: 'a YAML alias with no anchor',
    files: { 'c.yml': `${IP}streams: *nope\n` },
    errors: [
      'c.yml:2:10: cannot parse YAML: Unresolved alias (the anchor must be set before the alias): nope',
    ],
  },
  {
    name: 'a JSON comma where a key is expected',
    files: { 'c.json': '{\n  "streams": {\n    "s": {,}\n  }\n}\n' },
    errors: ["c.json:3:11: cannot parse JSON: Expected property name or '}'"],
  },
  {
    name: 'a JSON trailing comma',
    files: { 'c.json': '{\n  "streams": {},\n}\n' },
    errors: ['c.json:3:1: cannot parse JSON: Expected double-quoted property name'],
  },
  {
    name: 'a JSON key written twice in one map (not "last one wins")',
    files: { 'c.json': '{\n  "concurrency": 1,\n  "concurrency": 2\n}\n' },
    errors: ['c.json:3:3: cannot parse JSON: duplicate key "concurrency"'],
  },
  {
    name: 'a Jsonnet syntax error',
    files: { 'c.jsonnet': '{\n  streams: {\n    s: [,\n  },\n}\n' },
    errors: ['c.jsonnet:3:9: cannot evaluate Jsonnet: unexpected: "," while parsing terminal'],
  },
  {
    name: 'a Jsonnet runtime error',
    files: { 'c.jsonnet': "{\n  streams: error 'no streams here',\n}\n" },
    errors: ['c.jsonnet:2:12: cannot evaluate Jsonnet: no streams here'],
  },
  {
    name: 'a configuration that is not a map',
    files: { 'c.json': '[1]' },
    errors: ['c.json: the configuration must be a map at the top level, got a list'],
  },
  {
    name: 'an empty YAML file',
    files: { 'c.yml': '# nothing yet\n' },
    errors: ['c.yml: the configuration must be a map at the top level, got null'],
  },
  {
    name: 'a file of an unknown format',
    files: { 'c.toml': 'concurrency = 1' },
    errors: [
      'c.toml: cannot read configuration: unknown format ".toml", expected .yml, .yaml, .json or .jsonnet',
    ],
  },
  {
    name: 'a file that does not exist',
    files: {},
    path: 'missing.yml',
    errors: ['missing.yml: cannot read configuration: no such file or directory'],
  },
  // Unknown keys, at every level.
  {
    name: 'an unknown top-level key, with a suggestion',
    files: { 'c.yml': `${IP}${STREAM}stream: {}\n` },
    errors: ['c.yml:7:1: stream: unknown key, did you mean "streams"?'],
  },
  {
    name: 'an unknown key with nothing close to it',
    files: { 'c.yml': `${IP}${STREAM}colour: blue\n` },
    errors: ['c.yml:7:1: colour: unknown key'],
  },
  {
    name: 'an unknown pattern key',
    files: { 'c.yml': `patterns: {ip: {type: ip, ignorecdir: []}}\n${STREAM}` },
    errors: ['c.yml:1:27: patterns.ip.ignorecdir: unknown key, did you mean "ignorecidr"?'],
  },
  {
    name: 'an unknown stream key',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filter: {}
            filters:
              f: {regex: ['x <ip>'], actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: ['c.yml:5:5: streams.s.filter: unknown key, did you mean "filters"?'],
  },
  {
    name: 'an unknown filter key',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                retry: 3
                retryperiode: 6h
                actions: {a: {cmd: [echo]}}
      `,
    },
    errors: [
      'c.yml:9:9: streams.s.filters.f.retryperiode: unknown key, did you mean "retryperiod"?',
    ],
  },
  {
    name: 'an unknown action key',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], actions: {a: {cmd: [echo], afer: 1h}}}
      `,
    },
    errors: ['c.yml:6:57: streams.s.filters.f.actions.a.afer: unknown key, did you mean "after"?'],
  },
  // Types.
  {
    name: 'streams given as a list',
    files: { 'c.yml': 'streams: []\n' },
    errors: ['c.yml:1:10: streams: expected a map of streams, got a list'],
  },
  {
    name: 'a command written as a shell string',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: tail -F /var/log/auth.log
            filters:
              f: {regex: ['x <ip>'], actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      "c.yml:4:10: streams.s.cmd: expected a list of strings such as ['iptables', '-w', ...], got a string: commands are run without a shell",
    ],
  },
  {
    name: 'retry as a string, a fraction and zero',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f1: {regex: ['x <ip>'], retry: '3', retryperiod: 1h, actions: {a: {cmd: [echo]}}}
              f2: {regex: ['x <ip>'], retry: 1.5, retryperiod: 1h, actions: {a: {cmd: [echo]}}}
              f3: {regex: ['x <ip>'], retry: 0, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:38: streams.s.filters.f1.retry: expected an integer, got the string "3"',
      'c.yml:7:38: streams.s.filters.f2.retry: expected an integer, got the number 1.5',
      'c.yml:8:38: streams.s.filters.f3.retry: must be at least 1, got 0',
    ],
  },
  {
    name: 'flags, concurrency and state_directory of the wrong type',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], actions: {a: {cmd: [echo], after: 1h, onexit: 'yes'}}}
        concurrency: many
        state_directory: 5
      `,
    },
    errors: [
      'c.yml:6:76: streams.s.filters.f.actions.a.onexit: expected true or false, got the string "yes"',
      'c.yml:7:14: concurrency: expected an integer, got the string "many"',
      'c.yml:8:18: state_directory: expected a string, got the integer 5',
    ],
  },
  {
    name: 'regex as a string instead of a list',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: 'x <ip>', actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:18: streams.s.filters.f.regex: expected a list of strings, got the string "x <ip>"',
    ],
  },
  {
    name: 'start and stop that are not lists of argv lists',
    files: { 'c.yml': `${IP}${STREAM}start: [echo, hi]\nstop: 'echo bye'\n` },
    errors: [
      "c.yml:7:9: start[0]: expected a list of strings such as ['iptables', '-w', ...], got a string: commands are run without a shell",
      "c.yml:7:15: start[1]: expected a list of strings such as ['iptables', '-w', ...], got a string: commands are run without a shell",
      'c.yml:8:7: stop: expected a list of commands, each a list of strings, got the string "echo bye"',
    ],
  },
  // Missing required keys.
  {
    name: 'no streams',
    files: { 'c.yml': IP },
    errors: ['c.yml: missing key "streams": a configuration needs at least one stream'],
  },
  {
    name: 'a stream with no cmd and a stream with no filters',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            filters:
              f: {regex: ['x <ip>'], actions: {a: {cmd: [echo]}}}
          t:
            cmd: [tail]
      `,
    },
    errors: [
      'c.yml:4:5: streams.s: missing key "cmd"',
      'c.yml:7:5: streams.t: missing key "filters"',
    ],
  },
  {
    name: 'a filter with no regex, one with no actions, one with retry 3 and no retryperiod',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f1: {actions: {a: {cmd: [echo]}}}
              f2: {regex: ['x <ip>']}
              f3: {regex: ['x <ip>'], retry: 3, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:11: streams.s.filters.f1: missing key "regex"',
      'c.yml:7:11: streams.s.filters.f2: missing key "actions"',
      'c.yml:8:11: streams.s.filters.f3: missing key "retryperiod": required when retry is more than 1',
    ],
  },
  {
    name: 'an action with no cmd and a pattern with no regex',
    files: {
      'c.yml': text`
        patterns: {ip: {type: ip}, user: {ignore: [root]}}
        streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], actions: {a: {after: 1h}}}
      `,
    },
    errors: [
      'c.yml:1:34: patterns.user: missing key "regex" (or a "type" of ip, ipv4 or ipv6)',
      'c.yml:6:43: streams.s.filters.f.actions.a: missing key "cmd"',
    ],
  },
  // Empty maps and lists.
  {
    name: 'an empty streams map',
    files: { 'c.yml': 'streams: {}\n' },
    errors: ['c.yml:1:10: streams: a configuration needs at least one stream'],
  },
  {
    name: 'an empty filters map',
    files: { 'c.yml': 'streams:\n  s: {cmd: [tail], filters: {}}\n' },
    errors: ['c.yml:2:29: streams.s.filters: a stream needs at least one filter'],
  },
  {
    name: 'an empty actions map, an empty regex list and an empty command',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: []
            filters:
              f1: {regex: ['x <ip>'], actions: {}}
              f2: {regex: [], actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:4:10: streams.s.cmd: must not be empty',
      'c.yml:6:40: streams.s.filters.f1.actions: a filter needs at least one action',
      'c.yml:7:19: streams.s.filters.f2.regex: must not be empty',
    ],
  },
  {
    name: 'a <pattern> in the regexes and actions of a configuration that declares no patterns',
    files: {
      'c.yml': text`
        streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], actions: {a: {cmd: [echo, '<ip>']}}}
      `,
    },
    errors: [
      'c.yml:5:19: streams.s.filters.f.regex[0]: <ip> names no pattern: this configuration declares none; declare it under "patterns" (for an address: patterns: {ip: {type: ip}})',
      'c.yml:5:56: streams.s.filters.f.actions.a.cmd[1]: <ip> names no pattern: this configuration declares none; declare it under "patterns" (for an address: patterns: {ip: {type: ip}})',
    ],
  },
  {
    name: 'an action of a filter with a broken regex, and a virtual target missing beside a broken stream',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x (<ip>'], actions: {a: {cmd: [echo, '<ip>'], after: soon}}}
          broken:
            cmd: tail
            filters:
              f: {regex: ['x <ip>'], actions: {a: {type: virtual, options: {send: '<ip>', to: nowhere}}}}
      `,
    },
    errors: [
      'c.yml:6:19: streams.s.filters.f.regex[0]: invalid regex: unclosed group (at character 3)',
      'c.yml:6:73: streams.s.filters.f.actions.a.after: cannot parse duration "soon": expected an integer followed by a unit, such as "48h" or "30 min"',
      "c.yml:8:10: streams.broken.cmd: expected a list of strings such as ['iptables', '-w', ...], got a string: commands are run without a shell",
      'c.yml:10:87: streams.broken.filters.f.actions.a.options.to: "nowhere" is not a stream of type "virtual"',
    ],
  },
  {
    name: 'patterns left empty (null)',
    files: { 'c.yml': `patterns:\n${STREAM}` },
    errors: ['c.yml:1:10: patterns: expected a map of patterns, got null'],
  },
  // Durations.
  {
    name: 'durations with a fraction, an unknown unit, no unit, a number and a sign',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                retry: 2
                retryperiod: '10'
                actions:
                  a: {cmd: [echo], after: 1.5h}
                  b: {cmd: [echo], after: 10x}
                  c: {cmd: [echo], after: 10}
                  d: {cmd: [echo], after: -1h}
      `,
    },
    errors: [
      'c.yml:9:22: streams.s.filters.f.retryperiod: cannot parse duration "10": missing unit (ms, s, m, h or d)',
      'c.yml:11:35: streams.s.filters.f.actions.a.after: cannot parse duration "1.5h": fractions are not allowed, use a smaller unit',
      'c.yml:12:35: streams.s.filters.f.actions.b.after: cannot parse duration "10x": unknown unit "x" (ms, s, m, h or d)',
      'c.yml:13:35: streams.s.filters.f.actions.c.after: expected a string, got the integer 10',
      'c.yml:14:35: streams.s.filters.f.actions.d.after: cannot parse duration "-1h": expected an integer followed by a unit, such as "48h" or "30 min"',
    ],
  },
  {
    name: 'a retryperiod of zero',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], retry: 2, retryperiod: 0s, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: ['c.yml:6:53: streams.s.filters.f.retryperiod: must be more than 0'],
  },
  {
    name: 'a state_rotation_interval below 30m',
    files: { 'c.yml': `${IP}${STREAM}state_rotation_interval: 1799999ms\n` },
    errors: ['c.yml:7:26: state_rotation_interval: must be at least 30m (or null for never)'],
  },
  // Names.
  {
    name: 'stream, filter and action names with "."; their contents are still checked',
    files: {
      'c.yml': text`
        ${IP}streams:
          s.1:
            cmd: [tail]
            filters:
              f.1: {regex: ['x <ip>'], actions: {a.1: {cmd: [echo], after: 1x}}}
      `,
    },
    errors: [
      'c.yml:3:3: streams.s.1: a name must not be empty nor contain "." or spaces',
      'c.yml:6:7: streams.s.1.filters.f.1: a name must not be empty nor contain "." or spaces',
      'c.yml:6:42: streams.s.1.filters.f.1.actions.a.1: a name must not be empty nor contain "." or spaces',
      'c.yml:6:68: streams.s.1.filters.f.1.actions.a.1.after: cannot parse duration "1x": unknown unit "x" (ms, s, m, h or d)',
    ],
  },
  {
    name: 'pattern names that are not letters, digits and "_"',
    files: { 'c.yml': `patterns: {my-ip: {type: ip}, a.b: {regex: x}, ip: {type: ip}}\n${STREAM}` },
    errors: [
      'c.yml:1:12: patterns.my-ip: a pattern name is made of letters, digits and "_"',
      'c.yml:1:31: patterns.a.b: a pattern name is made of letters, digits and "_"',
    ],
  },
  // Patterns.
  {
    name: 'a pattern regex that does not parse',
    files: {
      'c.yml': `patterns: {ip: {type: ip}, user: {regex: '[a-z'}, id: {regex: '[0-9]*'}}\n${STREAM}`,
    },
    errors: [
      'c.yml:1:42: patterns.user.regex: invalid regex: unclosed character class (at character 1)',
    ],
  },
  {
    name: 'a pattern of unknown type, and a regex given to an IP type',
    files: {
      'c.yml': `patterns: {ip: {type: ip, regex: '[0-9.]+'}, host: {type: hostname}}\n${STREAM}`,
    },
    errors: [
      'c.yml:1:27: patterns.ip.regex: a pattern of type "ip" has a built-in regex: remove "regex"',
      'c.yml:1:59: patterns.host.type: expected one of "regex", "ip", "ipv4", "ipv6", got the string "hostname"',
    ],
  },
  {
    name: 'ignore values that a regex pattern can never capture',
    files: {
      'c.yml': `patterns: {ip: {type: ip}, user: {regex: '[a-z]+', ignore: [root, Admin, '']}}\n${STREAM}`,
    },
    errors: [
      'c.yml:1:67: patterns.user.ignore[1]: "Admin" is not a value of this pattern, so it can never be ignored',
      'c.yml:1:74: patterns.user.ignore[2]: "" is not a value of this pattern, so it can never be ignored',
    ],
  },
  {
    name: 'an IPv6 ignore value for an ipv4 pattern, an IPv4 one for an ipv6 pattern',
    files: {
      'c.yml': text`
        patterns:
          ip: {type: ipv4, ignore: ['127.0.0.1', '::1', '::ffff:10.0.0.1']}
          ip6: {type: ipv6, ignore: ['::1', '127.0.0.1']}
        ${STREAM}`,
    },
    errors: [
      'c.yml:2:42: patterns.ip.ignore[1]: "::1" is not a value of this pattern (type ipv4), so it can never be ignored',
      'c.yml:3:37: patterns.ip6.ignore[1]: "127.0.0.1" is not a value of this pattern (type ipv6), so it can never be ignored',
    ],
  },
  {
    name: 'ignore values of an IP pattern that are not addresses',
    files: { 'c.yml': `patterns: {ip: {type: ip, ignore: [localhost, '10.0.0.0/8']}}\n${STREAM}` },
    errors: [
      'c.yml:1:36: patterns.ip.ignore[0]: "localhost" is not a value of this pattern (type ip), so it can never be ignored',
      'c.yml:1:47: patterns.ip.ignore[1]: "10.0.0.0/8" is not a value of this pattern (type ip), so it can never be ignored; write networks in "ignorecidr"',
    ],
  },
  {
    name: 'ignoreregex that does not parse',
    files: { 'c.yml': `patterns: {ip: {type: ip, ignoreregex: ['10\\.(']}}\n${STREAM}` },
    errors: [
      'c.yml:1:41: patterns.ip.ignoreregex[0]: invalid regex: unclosed group (at character 5)',
    ],
  },
  {
    name: 'ignorecidr, ipv4mask and ipv6mask on a regex pattern',
    files: {
      'c.yml': `patterns: {ip: {regex: '[0-9.]+', ignorecidr: [10.0.0.0/8], ipv4mask: 24, ipv6mask: 64}}\n${STREAM}`,
    },
    errors: [
      'c.yml:1:61: patterns.ip.ipv4mask: applies to a pattern of type ip or ipv4',
      'c.yml:1:75: patterns.ip.ipv6mask: applies to a pattern of type ip or ipv6',
      'c.yml:1:35: patterns.ip.ignorecidr: applies to a pattern of type ip, ipv4 or ipv6',
    ],
  },
  {
    name: 'networks that do not parse',
    files: {
      'c.yml': text`
        patterns:
          ip:
            type: ip
            ignorecidr: [10.0.0.0/33, 10.0.0/8, fe80::/129, 1.2.3.4/8/9, 10.0.0.0/-1, 1.2.3.4/, '::ffff:10.0.0.0/104']
        ${STREAM}`,
    },
    errors: [
      'c.yml:4:18: patterns.ip.ignorecidr[0]: cannot parse network "10.0.0.0/33": the prefix length must be an integer from 0 to 32, got "33"',
      'c.yml:4:31: patterns.ip.ignorecidr[1]: cannot parse network "10.0.0/8": "10.0.0" is not an IP address',
      'c.yml:4:41: patterns.ip.ignorecidr[2]: cannot parse network "fe80::/129": the prefix length must be an integer from 0 to 128, got "129"',
      'c.yml:4:53: patterns.ip.ignorecidr[3]: cannot parse network "1.2.3.4/8/9": expected an address and a prefix length such as "10.0.0.0/8"',
      'c.yml:4:66: patterns.ip.ignorecidr[4]: cannot parse network "10.0.0.0/-1": the prefix length must be an integer from 0 to 32, got "-1"',
      'c.yml:4:79: patterns.ip.ignorecidr[5]: cannot parse network "1.2.3.4/": the prefix length must be an integer from 0 to 32, got ""',
    ],
  },
  {
    name: 'masks on the other family, out of range, negative or a string',
    files: {
      'c.yml': text`
        patterns:
          a: {type: ipv6, ipv4mask: 24}
          b: {type: ipv4, ipv6mask: 64}
          c: {type: ip, ipv4mask: 33, ipv6mask: 129}
          d: {type: ip, ipv4mask: -1, ipv6mask: '64'}
        ${STREAM}`,
    },
    errors: [
      'c.yml:2:19: patterns.a.ipv4mask: applies to a pattern of type ip or ipv4',
      'c.yml:3:19: patterns.b.ipv6mask: applies to a pattern of type ip or ipv6',
      'c.yml:4:27: patterns.c.ipv4mask: must be at most 32, got 33',
      'c.yml:4:41: patterns.c.ipv6mask: must be at most 128, got 129',
      'c.yml:5:27: patterns.d.ipv4mask: must be at least 0, got -1',
      'c.yml:5:41: patterns.d.ipv6mask: expected an integer, got the string "64"',
    ],
  },
  // Filter regexes.
  {
    name: 'a pattern twice in one regex',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['from <ip> to <ip>'], actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:19: streams.s.filters.f.regex[0]: <ip> appears twice: a regex captures each pattern at most once',
    ],
  },
  {
    name: 'regexes of one filter that capture different patterns, each reported',
    files: {
      'c.yml': text`
        patterns: {ip: {type: ip}, user: {regex: '\w+'}}
        streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>', 'y <user>', 'z <ip> <user>', 'none', 'w <ip>'], actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:29: streams.s.filters.f.regex[1]: captures the patterns (user) but regex[0] captures (ip): every regex of a filter must capture the same patterns',
      'c.yml:6:41: streams.s.filters.f.regex[2]: captures the patterns (ip, user) but regex[0] captures (ip): every regex of a filter must capture the same patterns',
      'c.yml:6:58: streams.s.filters.f.regex[3]: captures the patterns (none) but regex[0] captures (ip): every regex of a filter must capture the same patterns',
    ],
  },
  {
    name: 'a filter regex that does not parse, and one that needs RE2 past what RE2 can run',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip> (', '(a{100}){11}.* from .* <ip>'], actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:19: streams.s.filters.f.regex[0]: invalid regex: unclosed group (at character 8)',
      "c.yml:6:31: streams.s.filters.f.regex[1]: invalid regex: nested counted repetitions multiply to 1100, above RE2's limit of 1000",
    ],
  },
  // Actions.
  {
    name: 'a <pattern> in an action that the filter does not capture',
    files: {
      'c.yml': text`
        patterns: {ip: {type: ip}, user: {regex: '\w+'}}
        streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], actions: {a: {cmd: [echo, '<ip>', 'user=<user>']}}}
      `,
    },
    errors: [
      "c.yml:6:64: streams.s.filters.f.actions.a.cmd[2]: <user> is a pattern that this filter's regexes do not capture",
    ],
  },
  {
    name: 'onexit without after, oneshot with after, ipv4only with ipv6only',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                actions:
                  a: {cmd: [echo], onexit: true}
                  b: {cmd: [echo], oneshot: true, after: 1h}
                  c: {cmd: [echo], ipv4only: true, ipv6only: true}
      `,
    },
    errors: [
      'c.yml:9:36: streams.s.filters.f.actions.a.onexit: onexit applies to a delayed action: add "after"',
      'c.yml:10:37: streams.s.filters.f.actions.b.oneshot: oneshot applies to an immediate action: it cannot be combined with "after"',
      'c.yml:11:54: streams.s.filters.f.actions.c.ipv6only: ipv4only and ipv6only cannot both be true',
    ],
  },
  {
    name: 'ipv4only in a filter with no IP pattern',
    files: {
      'c.yml': text`
        patterns: {user: {regex: '\w+'}}
        streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <user>'], actions: {a: {cmd: [echo], ipv4only: true}}}
      `,
    },
    errors: [
      'c.yml:6:69: streams.s.filters.f.actions.a.ipv4only: the filter has no pattern of type ip, ipv4 or ipv6 to tell the address family',
    ],
  },
  {
    name: 'options on a cmd action and on a regex filter',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], options: {}, actions: {a: {cmd: [echo], options: {}}}}
      `,
    },
    errors: [
      'c.yml:6:30: streams.s.filters.f.options: a filter of type "regex" has no options',
      'c.yml:6:70: streams.s.filters.f.actions.a.options: an action of type "cmd" has no options',
    ],
  },
  // Virtual streams and actions.
  {
    name: 'a virtual action whose `to` is not a virtual stream',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                actions:
                  a: {type: virtual, options: {send: '<ip>', to: s}}
                  b: {type: virtual, options: {send: '<ip>', to: nowhere}}
      `,
    },
    errors: [
      'c.yml:9:58: streams.s.filters.f.actions.a.options.to: "s" is not a stream of type "virtual"',
      'c.yml:10:58: streams.s.filters.f.actions.b.options.to: "nowhere" is not a stream of type "virtual"',
    ],
  },
  {
    name: 'a virtual stream with a cmd, a virtual action with a cmd and without send',
    files: {
      'c.yml': text`
        ${IP}streams:
          v:
            type: virtual
            cmd: [tail]
            filters:
              f: {regex: ['<ip>'], actions: {a: {cmd: [echo]}}}
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                actions:
                  a: {type: virtual, cmd: [echo], options: {send: '<ip>', to: v}}
                  b: {type: virtual, options: {to: v}}
      `,
    },
    errors: [
      'c.yml:5:5: streams.v.cmd: a virtual stream has no command: actions of type "virtual" feed it',
      'c.yml:14:30: streams.s.filters.f.actions.a.cmd: an action of type "virtual" takes "options", not "cmd"',
      'c.yml:15:39: streams.s.filters.f.actions.b.options: missing key "send"',
    ],
  },
  {
    name: 'unknown option keys of virtual and nftables actions and of struct filters',
    files: {
      'c.yml': text`
        ${IP}streams:
          v: {type: virtual, filters: {f: {regex: ['<ip>'], actions: {a: {cmd: [echo]}}}}}
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                actions:
                  a: {type: virtual, options: {send: '<ip>', to: v, sned: x}}
                  b: {type: nftables, options: {set: bans, chain: [input]}}
              g: {type: struct, options: {fields: {ip: {regex: '<ip>'}}, langage: json}, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:10:61: streams.s.filters.f.actions.a.options.sned: unknown key, did you mean "send"?',
      'c.yml:11:52: streams.s.filters.f.actions.b.options.chain: unknown key, did you mean "chains"?',
      'c.yml:12:66: streams.s.filters.g.options.langage: unknown key',
    ],
  },
  {
    name: 'ports and protocol of kernel-set actions: out of range, backwards, not a list, empty, unknown protocol',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                actions:
                  a: {type: nftables, options: {set: a, ports: [22, 70000, '90-80', 'ssh']}}
                  b: {type: ipset, options: {set: b, ports: 22}}
                  c: {type: nftables, options: {set: c, ports: [], protocol: sctp}}
      `,
    },
    errors: [
      'c.yml:9:61: streams.s.filters.f.actions.a.options.ports[1]: expected a port from 1 to 65535 or a range such as "8000-8080", got 70000',
      'c.yml:9:68: streams.s.filters.f.actions.a.options.ports[2]: expected a port from 1 to 65535 or a range such as "8000-8080", got "90-80"',
      'c.yml:9:77: streams.s.filters.f.actions.a.options.ports[3]: expected a port from 1 to 65535 or a range such as "8000-8080", got "ssh"',
      "c.yml:10:53: streams.s.filters.f.actions.b.options.ports: expected a list of ports such as [22, '8000-8080'], got the integer 22",
      'c.yml:11:56: streams.s.filters.f.actions.c.options.ports: must not be empty (leave "ports" out for every port)',
      'c.yml:11:70: streams.s.filters.f.actions.c.options.protocol: expected one of "tcp", "udp", "both", got the string "sctp"',
    ],
  },
  // Struct filters.
  {
    name: 'struct filters without options, with regex, without fields, with empty fields',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f1: {type: struct, actions: {a: {cmd: [echo]}}}
              f2: {type: struct, regex: ['<ip>'], options: {fields: {ip: {regex: '<ip>'}}}, actions: {a: {cmd: [echo]}}}
              f3: {type: struct, options: {lang: json}, actions: {a: {cmd: [echo]}}}
              f4: {type: struct, options: {fields: {}}, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:11: streams.s.filters.f1: missing key "options": a filter of type "struct" needs options.fields',
      'c.yml:7:26: streams.s.filters.f2.regex: a filter of type "struct" takes its regexes in options.fields',
      'c.yml:8:35: streams.s.filters.f3.options: missing key "fields"',
      'c.yml:9:44: streams.s.filters.f4.options.fields: at least one field is needed',
    ],
  },
  {
    name: 'struct filters with another lang, a field without regex, a pattern in two fields',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f1: {type: struct, options: {lang: xml, fields: {ip: {regex: '<ip>'}}}, actions: {a: {cmd: [echo]}}}
              f2: {type: struct, options: {fields: {ip: {regexp: '<ip>'}, a..b: {regex: x}}}, actions: {a: {cmd: [echo]}}}
              f3: {type: struct, options: {fields: {src: {regex: '<ip>'}, client.addr: {regex: 'from <ip>'}}}, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:42: streams.s.filters.f1.options.lang: expected one of "json", got the string "xml"',
      'c.yml:7:50: streams.s.filters.f2.options.fields.ip.regexp: unknown key, did you mean "regex"?',
      'c.yml:7:49: streams.s.filters.f2.options.fields.ip: missing key "regex"',
      'c.yml:7:67: streams.s.filters.f2.options.fields.a..b: a field is a name, or a dotted path such as "client.ip"',
      'c.yml:8:44: streams.s.filters.f3.options.fields: <ip> is captured by two fields: each pattern at most once',
    ],
  },
  // plugins and duplicates.
  {
    name: 'a reaction plugin that riposte has no equivalent of, and malformed declarations',
    files: {
      'c.yml': `${IP}${STREAM}plugins:\n  virtual: {path: /usr/lib/reaction/virtual, systemd: no}\n  ipset: {}\n  cluster: {path: /usr/bin/reaction-plugin-cluster}\n`,
    },
    errors: [
      'c.yml:8:55: plugins.virtual.systemd: expected true or false, got the string "no"',
      'c.yml:9:10: plugins.ipset: missing key "path"',
      'c.yml:10:3: plugins.cluster: riposte cannot run reaction\'s plugin "cluster" (/usr/bin/reaction-plugin-cluster): it has the types of reaction\'s nftables, ipset and virtual plugins built in, and no equivalent of this one; remove the plugin and the streams and actions of its types',
    ],
  },
  {
    name: 'duplicates of an unknown value, and both spellings at once',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f1: {regex: ['x <ip>'], duplicates: twice, actions: {a: {cmd: [echo]}}}
              f2: {regex: ['x <ip>'], duplicates: ignore, duplicate: rerun, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:43: streams.s.filters.f1.duplicates: expected one of "extend", "ignore", "rerun", got the string "twice"',
      'c.yml:7:51: streams.s.filters.f2.duplicate: write either "duplicates" or "duplicate", not both',
    ],
  },
  {
    name: 'a time format misspelt, and one that is not a name',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f1: {regex: ['x <ip>'], time: sylog, actions: {a: {cmd: [echo]}}}
              f2: {regex: ['x <ip>'], time: 3, actions: {a: {cmd: [echo]}}}
      `,
    },
    errors: [
      'c.yml:6:37: streams.s.filters.f1.time: expected one of "syslog", "iso8601", "clf", "epoch", "journal", "tai64n", "auto", got the string "sylog", did you mean "syslog"?',
      'c.yml:7:37: streams.s.filters.f2.time: expected one of "syslog", "iso8601", "clf", "epoch", "journal", "tai64n", "auto", got the integer 3',
    ],
  },
  // Directories.
  {
    name: 'a directory where two files define one key differently: both are named',
    files: {
      'a.yml': `patterns: {ip: {type: ip}}\nconcurrency: 2\n`,
      'b.json': '{\n  "patterns": {"ip": {"type": "ipv4"}},\n  "concurrency": 2\n}\n',
      'c.yml': STREAM,
    },
    path: '.',
    errors: ['b.json:2:23: patterns.ip.type: also defined differently in a.yml:1:17'],
  },
  {
    name: 'a directory with syntax errors in two files: both are reported',
    files: { 'a.yml': 'streams: [\n', 'b.json': '{,}', 'c.yml': `${IP}${STREAM}` },
    path: '.',
    errors: [
      'a.yml:2:1: cannot parse YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      "b.json:1:2: cannot parse JSON: Expected property name or '}'",
    ],
  },
  {
    name: 'a directory skips ".", "_", unknown extensions and subdirectories',
    files: {
      '.hidden.yml': 'broken: [',
      '_lib.yml': 'broken: [',
      'notes.txt': 'broken: [',
      'sub/d.yml': 'broken: [',
      'c.yml': `${IP}${STREAM}concurrency: x\n`,
    },
    path: '.',
    errors: ['c.yml:7:14: concurrency: expected an integer, got the string "x"'],
  },
  {
    name: 'an empty directory',
    files: {},
    path: '.',
    errors: [
      '.: cannot read configuration: no .yml, .yaml, .json or .jsonnet file in this directory',
    ],
  },
  {
    name: 'a directory whose only files are skipped',
    files: { '_lib.libsonnet': '{}', 'README.md': '', '.riposte.yml': STREAM },
    path: '.',
    errors: [
      '.: cannot read configuration: no .yml, .yaml, .json or .jsonnet file in this directory',
    ],
  },
  // All at once.
  {
    name: 'independent errors at every level are all reported in one run',
    files: {
      'c.yml': text`
        patterns: {ip: {type: ipv4, ignore: ['::1']}}
        streams:
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                retry: 3
                actions: {a: {cmd: [echo], after: 1.5h, onexit: 1}}
        concurrency: x
        statez: 1
      `,
    },
    errors: [
      'c.yml:11:1: statez: unknown key',
      'c.yml:1:38: patterns.ip.ignore[0]: "::1" is not a value of this pattern (type ipv4), so it can never be ignored',
      'c.yml:7:9: streams.s.filters.f: missing key "retryperiod": required when retry is more than 1',
      'c.yml:9:43: streams.s.filters.f.actions.a.after: cannot parse duration "1.5h": fractions are not allowed, use a smaller unit',
      'c.yml:9:57: streams.s.filters.f.actions.a.onexit: expected true or false, got the integer 1',
      'c.yml:10:14: concurrency: expected an integer, got the string "x"',
    ],
  },
];

/** A fresh temporary directory holding `files`, made the working directory for the test. */
function useTempDir(): { readonly dir: () => string } {
  let dir = '';
  const cwd = process.cwd();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-'));
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir: () => dir };
}

function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
}

function targetOf(row: { files: Readonly<Record<string, string>>; path?: string }): string {
  return row.path ?? Object.keys(row.files)[0]!;
}

describe('loadConfig() with a broken configuration', () => {
  const temp = useTempDir();
  test('the table has a row for every rule', () => {
    assert.ok(BROKEN.length >= 45, `${BROKEN.length} rows`);
  });
  for (const row of BROKEN) {
    test(`loadConfig() reports ${row.name}`, async () => {
      writeFiles(temp.dir(), row.files);
      const loaded = await loadConfig(targetOf(row));
      assert.equal(loaded.ok, false);
      if (loaded.ok) return;
      for (const error of loaded.errors) assert.ok(error instanceof ConfigError, String(error));
      assert.deepEqual(
        loaded.errors.map((e) => e.message),
        row.errors,
      );
    });
  }
});

/** What a test reads of a loaded Config: plain data, durations in ms. */
function summary(config: Config) {
  return {
    concurrency: config.concurrency,
    stateDirectory: config.stateDirectory,
    stateRotationInterval: config.stateRotationInterval,
    start: config.start,
    stop: config.stop,
    patterns: Object.fromEntries(
      [...config.patterns].map(([name, p]) => [
        name,
        { type: p.type, ignore: p.ignore, ipv4mask: p.ipv4mask, ipv6mask: p.ipv6mask },
      ]),
    ),
    streams: Object.fromEntries(
      config.streams.map((s) => [
        s.name,
        {
          type: s.type,
          cmd: s.cmd,
          filters: Object.fromEntries(
            s.filters.map((f) => [
              f.name,
              {
                retry: f.retry,
                retryperiod: f.retryperiod,
                duplicates: f.duplicates,
                actions: f.actions.map(actionSummary),
              },
            ]),
          ),
        },
      ]),
    ),
  };
}

function actionSummary(a: Action) {
  const base = {
    name: a.name,
    after: a.after,
    onexit: a.onexit,
    oneshot: a.oneshot,
    family: a.family,
  };
  return a.type === 'cmd' ? { ...base, cmd: a.cmd } : { ...base, type: a.type };
}

type Summary = ReturnType<typeof summary>;

interface ValidRow {
  readonly name: string;
  readonly files: Readonly<Record<string, string>>;
  readonly path?: string;
  /** The parts of the summary this row is about. */
  readonly expected: Partial<Summary>;
}

const ACTION = { after: 0, onexit: false, oneshot: false, family: 'any' } as const;

const VALID: readonly ValidRow[] = [
  {
    name: 'the defaults of every optional key',
    files: { 'c.yml': `${IP}${STREAM}` },
    expected: {
      concurrency: 0,
      stateDirectory: '.',
      stateRotationInterval: 24 * 3_600_000,
      start: [],
      stop: [],
      patterns: { ip: { type: 'ip', ignore: [], ipv4mask: undefined, ipv6mask: undefined } },
      streams: {
        s: {
          type: 'cmd',
          cmd: ['tail'],
          filters: {
            f: {
              retry: 1,
              retryperiod: 0,
              duplicates: 'extend',
              actions: [{ name: 'a', ...ACTION, cmd: ['echo', '<ip>'] }],
            },
          },
        },
      },
    },
  },
  {
    name: 'every top-level key written, a null rotation and durations in ms',
    files: {
      'c.yml': text`
        ${STREAM}concurrency: -1
        state_directory: /var/lib/riposte
        state_rotation_interval: null
        start: [[iptables, -N, reaction]]
        stop: [[iptables, -X, reaction]]
        patterns:
          ip: {type: ip, ipv4mask: 24, ipv6mask: 64, ignore: ['::FFFF:127.0.0.1', '0:0::1']}
      `,
    },
    expected: {
      concurrency: -1,
      stateDirectory: '/var/lib/riposte',
      stateRotationInterval: null,
      start: [['iptables', '-N', 'reaction']],
      stop: [['iptables', '-X', 'reaction']],
      patterns: { ip: { type: 'ip', ignore: ['127.0.0.1', '::1'], ipv4mask: 24, ipv6mask: 64 } },
    },
  },
  {
    name: 'a rotation of exactly 30 minutes, written with a space',
    files: { 'c.yml': `${IP}${STREAM}state_rotation_interval: 30 min\n` },
    expected: { stateRotationInterval: 30 * 60_000 },
  },
  {
    name: 'retry, retryperiod, duplicate (singular) and actions sorted by name',
    files: {
      'c.yml': text`
        ${IP}streams:
          s:
            cmd: [tail]
            filters:
              f:
                regex: ['x <ip>']
                retry: 3
                retryperiod: 6h
                duplicate: rerun
                actions:
                  zmail: {cmd: [mail, <ip>], oneshot: true}
                  unban: {cmd: [unban, <ip>], after: 48h, onexit: true}
                  ban: {cmd: [ban, <ip>], ipv4only: true}
                  ban6: {cmd: [ban6, <ip>], ipv6only: true, after: '0 ms'}
      `,
    },
    expected: {
      streams: {
        s: {
          type: 'cmd',
          cmd: ['tail'],
          filters: {
            f: {
              retry: 3,
              retryperiod: 6 * 3_600_000,
              duplicates: 'rerun',
              actions: [
                { name: 'ban', ...ACTION, family: 'ipv4', cmd: ['ban', '<ip>'] },
                { name: 'ban6', ...ACTION, family: 'ipv6', cmd: ['ban6', '<ip>'] },
                {
                  name: 'unban',
                  ...ACTION,
                  after: 48 * 3_600_000,
                  onexit: true,
                  cmd: ['unban', '<ip>'],
                },
                { name: 'zmail', ...ACTION, oneshot: true, cmd: ['mail', '<ip>'] },
              ],
            },
          },
        },
      },
    },
  },
  {
    name: 'YAML anchors kept under the ignored top-level "definitions"',
    files: {
      'c.yml': text`
        definitions:
          - &ban {cmd: [ban, <ip>]}
          - &unban {cmd: [unban, <ip>], after: 7d}
          - &ssh {cmd: [journalctl, -fu, sshd]}
        ${IP}streams:
          s:
            <<: *ssh
            filters:
              f: {regex: ['x <ip>'], duplicates: ignore, actions: {ban: *ban, unban: *unban}}
      `,
    },
    expected: {
      streams: {
        s: {
          type: 'cmd',
          cmd: ['journalctl', '-fu', 'sshd'],
          filters: {
            f: {
              retry: 1,
              retryperiod: 0,
              duplicates: 'ignore',
              actions: [
                { name: 'ban', ...ACTION, cmd: ['ban', '<ip>'] },
                { name: 'unban', ...ACTION, after: 7 * 86_400_000, cmd: ['unban', '<ip>'] },
              ],
            },
          },
        },
      },
    },
  },
  {
    name: 'a virtual stream fed by a virtual action',
    files: {
      'c.yml': text`
        ${IP}streams:
          recidive:
            type: virtual
            filters:
              f: {regex: ['^<ip>$'], retry: 3, retryperiod: 7d, actions: {a: {cmd: [ban, <ip>]}}}
          s:
            cmd: [tail]
            filters:
              f: {regex: ['x <ip>'], actions: {a: {type: virtual, options: {send: '<ip>', to: recidive}}}}
      `,
    },
    expected: {
      streams: {
        recidive: {
          type: 'virtual',
          cmd: [],
          filters: {
            f: {
              retry: 3,
              retryperiod: 7 * 86_400_000,
              duplicates: 'extend',
              actions: [{ name: 'a', ...ACTION, cmd: ['ban', '<ip>'] }],
            },
          },
        },
        s: {
          type: 'cmd',
          cmd: ['tail'],
          filters: {
            f: {
              retry: 1,
              retryperiod: 0,
              duplicates: 'extend',
              actions: [{ name: 'a', ...ACTION, type: 'virtual' }],
            },
          },
        },
      },
    },
  },
  {
    name: 'a JSON configuration',
    files: {
      'c.json': JSON.stringify({
        patterns: { ip: { type: 'ipv6', ipv6mask: 64 } },
        streams: {
          s: {
            cmd: ['tail'],
            filters: { f: { regex: ['x <ip>'], actions: { a: { cmd: ['echo'] } } } },
          },
        },
        state_rotation_interval: '1day',
      }),
    },
    expected: {
      stateRotationInterval: 86_400_000,
      patterns: { ip: { type: 'ipv6', ignore: [], ipv4mask: undefined, ipv6mask: 64 } },
    },
  },
  {
    name: 'Jsonnet with a local function, an imported library, importstr and text blocks',
    path: 'c.jsonnet',
    files: {
      '_lib.libsonnet':
        "{ banFor(time):: { ban: { cmd: ['ban', '<ip>'] }, unban: { cmd: ['unban', '<ip>'], after: time } } }",
      'dir.txt': '/var/lib/riposte\n',
      'c.jsonnet': text`
        local lib = import '_lib.libsonnet';
        local stream(cmd) = { cmd: cmd };
        {
          patterns: { ip: { type: 'ip' } },
          state_directory: std.stripChars(importstr 'dir.txt', '\n'),
          start: [['sh', '-c', |||
            echo started
          |||]],
          streams: {
            s: stream(['tail']) + {
              filters: { f: { regex: [@'x <ip>\.'], actions: lib.banFor('10 secs') } },
            },
          },
        }
      `,
    },
    expected: {
      stateDirectory: '/var/lib/riposte',
      start: [['sh', '-c', 'echo started\n']],
      streams: {
        s: {
          type: 'cmd',
          cmd: ['tail'],
          filters: {
            f: {
              retry: 1,
              retryperiod: 0,
              duplicates: 'extend',
              actions: [
                { name: 'ban', ...ACTION, cmd: ['ban', '<ip>'] },
                { name: 'unban', ...ACTION, after: 10_000, cmd: ['unban', '<ip>'] },
              ],
            },
          },
        },
      },
    },
  },
  {
    name: 'a directory: maps merged key by key, start and stop concatenated in file order',
    files: {
      '10-base.yml': `${IP}start: [[a1]]\nstop: [[z1]]\nconcurrency: 4\n`,
      '20-ssh.json': JSON.stringify({
        start: [['a2'], ['a3']],
        stop: [['z2']],
        concurrency: 4,
        streams: {
          ssh: {
            cmd: ['ssh'],
            filters: { f: { regex: ['x <ip>'], actions: { a: { cmd: ['echo'] } } } },
          },
        },
      }),
      '30-web.jsonnet':
        "{ start: [['a4']], streams: { ssh: { filters: { g: { regex: ['y <ip>'], actions: { a: { cmd: ['echo'] } } } } }, web: { cmd: ['web'], filters: { f: { regex: ['z <ip>'], actions: { a: { cmd: ['echo'] } } } } } } }",
      '_ignored.yml': 'not: [valid',
      '.also-ignored.json': '{',
      'README.md': '# not read',
    },
    path: '.',
    expected: {
      concurrency: 4,
      start: [['a1'], ['a2'], ['a3'], ['a4']],
      stop: [['z1'], ['z2']],
    },
  },
];

describe('loadConfig() with a valid configuration', () => {
  const temp = useTempDir();
  for (const row of VALID) {
    test(`loadConfig() reads ${row.name}`, async () => {
      writeFiles(temp.dir(), row.files);
      const loaded = await loadConfig(targetOf(row));
      assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
      if (!loaded.ok) return;
      const got = summary(loaded.config);
      for (const key of Object.keys(row.expected) as (keyof Summary)[]) {
        assert.deepEqual(got[key], row.expected[key], key);
      }
    });
  }

  test('loadConfig() merges the streams of a directory and keeps its file list', async () => {
    writeFiles(temp.dir(), VALID.find((r) => r.name.startsWith('a directory'))!.files);
    const loaded = await loadConfig('.');
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.config.files, ['10-base.yml', '20-ssh.json', '30-web.jsonnet']);
    const filters = loaded.config.streams.map((s) => [s.name, s.filters.map((f) => f.name)]);
    assert.deepEqual(filters, [
      ['ssh', ['f', 'g']],
      ['web', ['f']],
    ]);
  });

  test('loadConfig() accepts a value defined identically in two files', async () => {
    writeFiles(temp.dir(), {
      'a.yml': `${IP}concurrency: 2\n`,
      'b.yml': `${IP}${STREAM}concurrency: 2\n`,
    });
    const loaded = await loadConfig('.');
    assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
  });

  test('loadConfig() returns a frozen model', async () => {
    writeFiles(temp.dir(), { 'c.yml': `${IP}${STREAM}` });
    const loaded = await loadConfig('c.yml');
    assert.ok(loaded.ok);
    assert.ok(Object.isFrozen(loaded.config));
    assert.ok(Object.isFrozen(loaded.config.streams[0]));
    assert.ok(Object.isFrozen(loaded.config.streams[0]!.filters[0]));
    assert.ok(Object.isFrozen(loaded.config.patterns.get('ip')));
  });
});

describe('loadConfig() on the seed configurations', () => {
  const cwd = process.cwd();
  beforeEach(() => process.chdir(ROOT));
  afterEach(() => process.chdir(cwd));

  const seeds = [
    { path: 'examples/seeds/reaction.yml', streams: ['ssh'] },
    { path: 'examples/seeds/reaction.jsonnet', streams: ['ssh'] },
    { path: 'examples/seeds/server/server.jsonnet', streams: ['badguypostfix', 'kernel', 'ssh'] },
  ];
  for (const seed of seeds) {
    test(`loadConfig() loads ${seed.path} with no error`, async () => {
      const loaded = await loadConfig(seed.path);
      assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
      if (!loaded.ok) return;
      assert.deepEqual(
        loaded.config.streams.map((s) => s.name),
        seed.streams,
      );
    });
  }

  test('loadConfig() says where an unknown Jsonnet variable is defined and how to share it', async () => {
    const loaded = await loadConfig('test/fixtures/banfor-unknown/server.jsonnet');
    assert.equal(loaded.ok, false);
    if (loaded.ok) return;
    assert.equal(loaded.errors.length, 1);
    assert.ok(loaded.errors[0] instanceof ConfigError);
    assert.equal(
      loaded.errors[0].message,
      'test/fixtures/banfor-unknown/ssh.jsonnet:8:16: cannot evaluate Jsonnet: Unknown variable: banFor: ' +
        '"banFor" is defined in test/fixtures/banfor-unknown/server.jsonnet:2, but a local of one file is not visible in the files it imports; ' +
        "put the shared definitions in a library such as _lib.libsonnet and write `local lib = import '_lib.libsonnet';` in each file that uses them, then call lib.banFor",
    );
  });
});
