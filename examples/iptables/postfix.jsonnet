local actions = import '_actions.libsonnet';

{
  streams: {
    postfix: {
      cmd: ['journalctl', '-fn0', '-u', 'postfix@-.service'],
      filters: {
        sasl: {
          regex: [
            @'warning: [-._\w]+\[<ip>\]: SASL (?:LOGIN|PLAIN|(?:CRAM|DIGEST)-MD5) authentication failed',
          ],
          retry: 5,
          retryperiod: '10m',
          actions: actions.banFor('24h'),
        },
      },
    },
  },
}
