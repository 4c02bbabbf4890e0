// Not read as a configuration (its name starts with "_"): the ban and unban actions of the
// .jsonnet files of this directory.
{
  banFor(time):: {
    ban4: { cmd: ['iptables', '-w', '-I', 'riposte', '-s', '<ip>', '-j', 'DROP'], ipv4only: true },
    ban6: { cmd: ['ip6tables', '-w', '-I', 'riposte', '-s', '<ip>', '-j', 'DROP'], ipv6only: true },
    unban4: { cmd: ['iptables', '-w', '-D', 'riposte', '-s', '<ip>', '-j', 'DROP'], ipv4only: true, after: time },
    unban6: { cmd: ['ip6tables', '-w', '-D', 'riposte', '-s', '<ip>', '-j', 'DROP'], ipv6only: true, after: time },
  },
}
