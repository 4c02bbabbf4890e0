// End-to-end: the first seed's example with an ipset and an iptables rule that drops what it
// holds, bans a real SSH client over IPv4 (scenarios in scenarios.ts).

import { firewallTests } from './scenarios.js';

firewallTests({
  name: 'ipset and an iptables rule (ipset commands)',
  fixture: 'ipset.yml',
  families: ['ipv4'],
  tools: ['ipset', 'iptables', 'ip6tables'],
  firewall: 'xtables',
});
