// End-to-end: riposte's built-in `type: nftables` action, which makes its own table and sets
// and sends addresses in batches, bans a real SSH client over IPv4 and IPv6 (scenarios in
// scenarios.ts).

import { firewallTests } from './scenarios.js';

firewallTests({
  name: 'built-in nftables type',
  fixture: 'builtin-nftables.yml',
  families: ['ipv4', 'ipv6'],
  tools: ['nft'],
  firewall: 'nftables',
});
