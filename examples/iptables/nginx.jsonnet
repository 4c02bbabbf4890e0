// The filter library imported as a file: library.libsonnet holds what each `use:` name
// brings, to compose in Jsonnet (here: the library's regexes and the site's own).
local actions = import '_actions.libsonnet';
local library = import '../../library/library.libsonnet';

{
  streams: {
    nginx: {
      cmd: ['tail', '-Fn0', '/var/log/nginx/access.log'],
      filters: {
        botsearch: library['nginx-botsearch'] {
          regex+: [@'^<ip> \S+ \S+ \[[^\]]{1,40}\] "(?:GET|POST) /(?:\.env|\.git/config) HTTP/\d(?:\.\d)?" 404 '],
          actions: actions.banFor('24h'),
        },
      },
    },
  },
}
