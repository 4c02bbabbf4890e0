local actions = import '_actions.libsonnet';

{
  streams: {
    ssh: {
      cmd: ['journalctl', '-fn0', '-u', 'ssh.service'],
      filters: {
        failedlogin: {
          regex: [
            @'Failed password for .* from <ip> port \d+ ssh2$',
            @'Invalid user .* from <ip> port \d+$',
            @'authentication failure;.* rhost=<ip>(?:\s+user=\S*)?$',
            @'banner exchange: Connection from <ip> port \d+: invalid format$',
          ],
          retry: 3,
          retryperiod: '6h',
          actions: actions.banFor('48h'),
        },
      },
    },
  },
}
