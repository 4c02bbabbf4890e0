// This file is using JSONNET, a complete configuration language based on JSON
// See https://jsonnet.org
// Run with: riposte start -c server.jsonnet (the stream files are imported from here).
{
  // patterns are substitued in regexes. when a filter performs an action, it replaces the found pattern.
  // jsonnet's @'string' is for verbatim strings.
  patterns: {
    // IPs can be IPv4 or IPv6
    ip: {
      regex: @'(([0-9]{1,3}\.){3}[0-9]{1,3})|([0-9a-fA-F:]{2,90})',
      ignore: ['127.0.0.1', '::1'],
    },
  },
  // Commandes exécutées au lancement
  start: [
    ['ip46tables', '-w', '-N', 'reaction'],
    ['ip46tables', '-w', '-I', 'INPUT', '-p', 'all', '-j', 'reaction'],
    ['echo', 'Le service a démarré', '|', 'mail', '-s', '"Démarrage de Reaction"', 'root'],
  ],
  // Commandes exécutées à l'arrêt, après tout le reste
  stop: [
    ['ip46tables', '-w', '-D', 'INPUT', '-p', 'all', '-j', 'reaction'],
    ['ip46tables', '-w', '-F', 'reaction'],
    ['ip46tables', '-w', '-X', 'reaction'],
    ['echo', 'Le service est éteint', '|', 'mail', '-s', '"Extinction de Reaction"', 'root'],
  ],
  // Streams : c'est là qu'on va définir les services et règles menant au bannissement
  streams: {
    ssh: import 'ssh.jsonnet',
    kernel: import 'kernel.jsonnet',
    badguypostfix: import 'badguypostfix.jsonnet',
  },
}
