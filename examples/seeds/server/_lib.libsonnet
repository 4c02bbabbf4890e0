// Functions shared by server.jsonnet and the stream files it imports. A `local` of one
// Jsonnet file is not visible in the files it imports: shared functions live here, and
// each file that uses them imports this library.
{
  // Ban, then unban after `time`.
  banFor(time):: {
    ban: {
      cmd: ['ip46tables', '-w', '-A', 'reaction', '-s', '<ip>', '-j', 'DROP'],
    },
    unban: {
      after: time,
      cmd: ['ip46tables', '-w', '-D', 'reaction', '-s', '<ip>', '-j', 'DROP'],
    },
  },

  // Mail the administrator about a ban, with the address and the reason.
  sendmail(ip, rule):: {
    mail: {
      cmd: ['sh', '/root/scripts/sendmailreaction/mailreaction.sh', ip, rule],
    },
  },
}
