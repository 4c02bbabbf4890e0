// Failed SMTP logins, from the filter library's postfix filter in its sasl mode.
local actions = import '_actions.libsonnet';

{
  streams: {
    postfix: {
      cmd: ['journalctl', '-fn0', '-u', 'postfix@-.service'],
      filters: {
        sasl: {
          use: 'postfix-sasl',
          actions: actions.banFor('24h'),
        },
      },
    },
  },
}
