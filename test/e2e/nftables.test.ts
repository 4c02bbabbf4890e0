// End-to-end: the first seed's example written for nftables, with `nft` commands as
// actions (ipv4only and ipv6only, a set per family), bans a real SSH client over IPv4 and
// IPv6 (scenarios in scenarios.ts).

import { firewallTests } from './scenarios.js';

firewallTests({
  name: 'nftables sets (nft commands)',
  fixture: 'nftables.yml',
  families: ['ipv4', 'ipv6'],
  tools: ['nft'],
  firewall: 'nftables',
});
