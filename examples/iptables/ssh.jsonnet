// sshd from the filter library, in Jsonnet as in YAML: `use` brings its regexes and retry
// rule, the keys written beside it win.
local actions = import '_actions.libsonnet';

{
  streams: {
    ssh: {
      cmd: ['journalctl', '-fn0', '-u', 'ssh.service', '-u', 'sshd.service'],
      filters: {
        sshd: {
          use: 'sshd',
          retry: 3,
          retryperiod: '6h',
          actions: actions.banFor('48h'),
        },
      },
    },
  },
}
