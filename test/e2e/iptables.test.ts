// End-to-end: the first seed's example as it is, an iptables chain with a DROP rule per
// banned address, bans a real SSH client over IPv4 (scenarios in scenarios.ts).

import { firewallTests } from './scenarios.js';

firewallTests({
  name: 'iptables chain (iptables commands)',
  fixture: 'iptables.yml',
  families: ['ipv4'],
  tools: ['iptables', 'ip6tables'],
  firewall: 'xtables',
});
