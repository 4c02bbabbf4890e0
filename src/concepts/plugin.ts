// reaction's plugin declarations (`plugins: {nftables: {path: …, systemd: false}}`): riposte
// has the types of reaction's own plugins built in, so a declaration is checked and kept but
// no plugin program is ever started. Receives the raw `plugins` map; sends the declarations.

import { basename } from 'node:path';
import { type Checker, isPlainObject, type Path } from './check.js';

/** reaction's plugins that riposte stands for, and the types each brings. */
const BUILT_IN = {
  nftables: 'the action type "nftables"',
  ipset: 'the action type "ipset"',
  virtual: 'the stream and action type "virtual"',
} as const;
export type BuiltInPlugin = keyof typeof BUILT_IN;

/** reaction's plugin keys (its reference: path, check_root, systemd, systemd_options). */
const KEYS = ['path', 'check_root', 'systemd', 'systemd_options'];

export interface PluginDeclaration {
  /** The key in `plugins`. */
  readonly name: string;
  /** The plugin of reaction that riposte runs built in instead. */
  readonly builtIn: BuiltInPlugin;
  readonly path: string;
  /** The declaration as written, for `test-config`. */
  readonly options: Readonly<Record<string, unknown>>;
}

export function readPlugins(c: Checker, raw: unknown): PluginDeclaration[] {
  if (raw === undefined) return [];
  const plugins: PluginDeclaration[] = [];
  for (const [name, value] of c.entries(raw, ['plugins'], 'plugins') ?? []) {
    const declared = readPlugin(c, ['plugins', name], name, value);
    if (declared !== undefined) plugins.push(declared);
  }
  return plugins;
}

function readPlugin(
  c: Checker,
  path: Path,
  name: string,
  raw: unknown,
): PluginDeclaration | undefined {
  const map = c.map(raw, path, KEYS);
  if (map === undefined) return undefined;
  const errors = c.errors.length;
  const file = map['path'] === undefined ? undefined : c.string(map['path'], [...path, 'path']);
  if (map['path'] === undefined) c.fail(path, 'missing key "path"');
  for (const key of ['check_root', 'systemd'] as const) {
    if (map[key] !== undefined) c.boolean(map[key], [...path, key]);
  }
  readSystemdOptions(c, [...path, 'systemd_options'], map['systemd_options']);
  const builtIn = builtInOf(name, file);
  if (builtIn === undefined) {
    const program = file === undefined ? '' : ` (${file})`;
    return c.fail(
      path,
      `riposte cannot run reaction's plugin "${name}"${program}: it has the types of reaction's nftables, ipset and virtual plugins built in, and no equivalent of this one; remove the plugin and the streams and actions of its types`,
      'key',
    );
  }
  if (file === undefined || c.errors.length > errors) return undefined;
  return Object.freeze({ name, builtIn, path: file, options: map });
}

/** A plugin is known by its key (`nftables`) or by its program (`reaction-plugin-nftables`). */
function builtInOf(name: string, file: string | undefined): BuiltInPlugin | undefined {
  const program = file === undefined ? '' : basename(file).replace(/^reaction-plugin-/, '');
  for (const candidate of [name, program]) {
    if (Object.hasOwn(BUILT_IN, candidate)) return candidate as BuiltInPlugin;
  }
  return undefined;
}

function readSystemdOptions(c: Checker, path: Path, raw: unknown): void {
  if (raw === undefined) return;
  if (!isPlainObject(raw)) {
    c.fail(path, 'expected a map of systemd options, each a list of strings');
    return;
  }
  for (const [key, value] of Object.entries(raw)) {
    c.stringList(value, [...path, key], { nonEmpty: false });
  }
}

/** The INFO line of start-up: which declared plugins riposte stands for. */
export function pluginsLine(plugins: readonly PluginDeclaration[]): string | undefined {
  if (plugins.length === 0) return undefined;
  const list = plugins.map((p) => `${p.name} (${BUILT_IN[p.builtIn]})`).join(', ');
  return `plugins: ${list} run built into riposte; the plugin programs are not started`;
}
