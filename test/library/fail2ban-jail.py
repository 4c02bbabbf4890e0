#!/usr/bin/python3
"""fail2ban's own jails (the installed fail2ban, its jail.conf and filter.d) run over a log as
if they had read it live while it was written: fail2ban's clock is set to each line's time,
the line is appended to the jail's log, and the jail polls it, bans and unbans as its server
threads would. Receives on stdin {"jails": [{"name", "filter"?, "maxretry"?, "findtime"?,
"bantime"?}], "lines": [{"text", "time"}]} (times in seconds since the epoch); sends on
stdout {"version", "settings": {jail: {maxretry, findtime, bantime}}, "failures": [{jail, ip, time, line}],
"bans": [{jail, ip, time}]}."""
import json
import logging
import os
import shutil
import sys
import tempfile

from fail2ban.server.action import ActionBase

CONFIG = '/etc/fail2ban'


class Action(ActionBase):
    """Records each ban in the driver (fail2ban loads this file again as an action module)."""

    def ban(self, aInfo):
        from fail2ban.server.mytime import MyTime
        sys.modules['__main__'].BANS.append(
            {'jail': self._jail.name, 'ip': str(aInfo['ip']), 'time': MyTime.time()})

    def unban(self, aInfo):
        pass


BANS = []
FAILURES = []
# The index of the line being read, which the failures found are told with.
LINE = [0]


def record_failures(jail):
    """Each failure the jail's filter hands its fail manager, as it hands it."""
    manager = jail.filter.failManager
    add = manager.addFailure

    def recorded(ticket, *args, **kwargs):
        FAILURES.append({'jail': jail.name, 'ip': str(ticket.getID()), 'time': ticket.getTime(),
                         'line': LINE[0]})
        return add(ticket, *args, **kwargs)

    manager.addFailure = recorded


def jail_local(jails, log):
    """The jails, enabled on `log`, polled, without DNS (riposte takes addresses only)."""
    text = ['[DEFAULT]', 'backend = polling', 'usedns = no', 'action =']
    for jail in jails:
        text += [f"[{jail['name']}]", 'enabled = true', f'logpath = {log}']
        for key in ('filter', 'maxretry', 'findtime', 'bantime'):
            if key in jail:
                text.append(f'{key} = {jail[key]}')
    return '\n'.join(text) + '\n'


def config_dir(jails, log):
    """fail2ban's installed configuration with only our jail.local beside it (no jail.d)."""
    base = tempfile.mkdtemp(prefix='riposte-fail2ban-')
    for name in os.listdir(CONFIG):
        if name not in ('jail.d', 'jail.local'):
            os.symlink(os.path.join(CONFIG, name), os.path.join(base, name))
    with open(os.path.join(base, 'jail.local'), 'w') as f:
        f.write(jail_local(jails, log))
    return base


def commands(base):
    """The jail commands fail2ban-client would send its server for this configuration."""
    from fail2ban.client.configurator import Configurator
    configurator = Configurator()
    configurator.setBaseDir(base)
    configurator.readAll()
    if not configurator.getOptions():
        raise SystemExit(f'cannot read the fail2ban configuration in {base}')
    configurator.convertToProtocol()
    # The server's own settings (log target, database) and the start of threads stay out.
    return [c for c in configurator.getConfigStream()
            if c[0] in ('add', 'multi-set') or (c[0] == 'set' and len(c) > 3)]


def main():
    request = json.load(sys.stdin)
    # Its warnings on this configuration are expected (no action); its errors are not.
    logging.getLogger('fail2ban').setLevel(logging.ERROR)
    os.environ.setdefault('TZ', 'UTC')
    from fail2ban.server.mytime import MyTime
    from fail2ban.server.server import Server
    work = tempfile.mkdtemp(prefix='riposte-fail2ban-log-')
    log = os.path.join(work, 'log')
    open(log, 'w').close()
    base = config_dir(request['jails'], log)
    try:
        server = Server()
        transmitter = server._Server__transm
        for command in commands(base):
            code, answer = transmitter.proceed(command)
            if code != 0:
                raise SystemExit(f'fail2ban refused {command!r}: {answer!r}')
        jails = [server._Server__jails[j['name']] for j in request['jails']]
        for jail in jails:
            jail.actions.add('record', os.path.abspath(__file__), {})
            record_failures(jail)
            # What starting the jail's filter thread would set, without the thread.
            jail.filter.active = True
            jail.filter.idle = False
        with open(log, 'a', encoding='utf-8') as out:
            for LINE[0], line in enumerate(request['lines']):
                MyTime.setTime(line['time'])
                out.write(line['text'] + '\n')
                out.flush()
                for jail in jails:
                    poll(jail, log)
        settings = {j.name: {'maxretry': j.filter.failManager.getMaxRetry(),
                             'findtime': j.filter.getFindTime(),
                             'bantime': j.actions.getBanTime()} for j in jails}
        from fail2ban.version import version
        json.dump({'version': version, 'settings': settings, 'failures': FAILURES, 'bans': BANS}, sys.stdout)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def poll(jail, log):
    """One turn of the jail's threads: expired bans lifted, the new lines read, bans made."""
    jail.actions._Actions__checkUnBan(jail.actions.unbanMaxCount)
    jail.filter.performSvc()
    jail.filter.getFailures(log)
    jail.actions._Actions__checkBan()


if __name__ == '__main__':
    main()
