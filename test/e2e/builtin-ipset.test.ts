// End-to-end: riposte's built-in `type: ipset` action, which makes its own ipsets and their
// iptables and ip6tables rules, bans a real SSH client over IPv4 and IPv6 (scenarios in
// scenarios.ts).

import { firewallTests } from './scenarios.js';

firewallTests({
  name: 'built-in ipset type',
  fixture: 'builtin-ipset.yml',
  families: ['ipv4', 'ipv6'],
  tools: ['ipset', 'iptables', 'ip6tables'],
  firewall: 'xtables',
});
