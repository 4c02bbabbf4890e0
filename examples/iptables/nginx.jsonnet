local actions = import '_actions.libsonnet';

{
  streams: {
    nginx: {
      cmd: ['tail', '-Fn0', '/var/log/nginx/access.log'],
      filters: {
        probes: {
          regex: [
            @'^<ip> \S+ \S+ \[[^\]]*\] "(?:GET|POST|HEAD) /(?:[^/" ]*/)*(?:wp-login\.php|xmlrpc\.php|\.env|\.git/config|phpinfo\.php) ',
          ],
          actions: actions.banFor('24h'),
        },
      },
    },
  },
}
