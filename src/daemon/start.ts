// `riposte start`: loads the configuration, binds the control socket, opens the state, and
// hands them to the running Daemon (daemon.ts). Receives the command's options and systemd's
// environment; sends the exit status, and every reason it could not start to the log.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../concepts/config.js';
import { pluginsLine } from '../concepts/plugin.js';
import { StateError } from '../lib/errors.js';
import { log } from '../lib/log.js';
import type { Response } from '../protocol.js';
import { Daemon, type DaemonOptions } from './daemon.js';
import { Notifier } from './notify.js';
import { ControlSocket } from './socket.js';
import { Store } from './state/store.js';

export type { DaemonOptions } from './daemon.js';

export async function runDaemon(options: DaemonOptions): Promise<number> {
  const notifier = Notifier.fromEnvironment();
  const loaded = await loadConfig(options.config);
  for (const w of loaded.warnings) log('WARN', `config: ${w.place}: ${w.message}`);
  if (!loaded.ok) {
    for (const e of loaded.errors) log('ERROR', `config: ${e.message}`);
    log(
      'ERROR',
      `cannot start: ${loaded.errors.length} error(s) in the configuration ${options.config}`,
    );
    await notifier?.close();
    return 1;
  }
  const plugins = pluginsLine(loaded.config.plugins);
  if (plugins !== undefined) log('INFO', plugins);
  // The socket before the state: a daemon started twice with one configuration is told that
  // another daemon answers on its socket, rather than that the state is locked.
  let daemon: Daemon | undefined;
  let socket: ControlSocket;
  try {
    socket = await ControlSocket.listen(options.socket, (request) =>
      daemon === undefined ? Promise.resolve(STARTING) : daemon.handle(request),
    );
  } catch (error) {
    log('ERROR', (error as Error).message);
    await notifier?.close();
    return 1;
  }
  const store = openStore(loaded.config.stateDirectory, loaded.config.history > 0);
  if (store === undefined) {
    await socket.close();
    await notifier?.close();
    return 1;
  }
  daemon = new Daemon(loaded.config, { store, socket, options, notifier });
  return daemon.run();
}

const STARTING: Response = { v: 1, ok: false, error: 'the daemon is starting: try again' };

function openStore(stateDirectory: string, history: boolean): Store | undefined {
  const directory = resolve(stateDirectory);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    return Store.open(directory, { history });
  } catch (error) {
    const message =
      error instanceof StateError
        ? error.message
        : `cannot create state directory ${directory}: ${(error as Error).message}`;
    log('ERROR', message);
    return undefined;
  }
}
