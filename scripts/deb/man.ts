// Man pages generated from the README, so that they never drift from it: the command line
// reference becomes riposte(8), the configuration reference riposte.conf(5). Receives the
// README's text, the version and a date; sends the pages as troff source (man(7) macros,
// plain ASCII, no preprocessor).

import { type Block, blocks, section } from './markdown.js';

export interface ManPage {
  /** File name, such as `riposte.8`. */
  readonly file: string;
  readonly text: string;
}

const SPECIAL: Readonly<Record<string, string>> = {
  '—': '\\(em',
  '–': '\\(en',
  '…': '...',
  '→': '\\(->',
  '←': '\\(<-',
  '≥': '\\(>=',
  '≤': '\\(<=',
  '×': '\\(mu',
  µ: '\\(mc',
  '’': "'",
  '‘': '\\(oq',
  '“': '\\(lq',
  '”': '\\(rq',
  '\u00a0': '\\ ',
};

/** Text for troff: backslashes and non-ASCII characters escaped; hyphens too if `minus`. */
function troff(text: string, minus = false): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\e';
    else if (ch === '-' && minus) out += '\\-';
    else if (code < 0x80) out += ch;
    else out += SPECIAL[ch] ?? `\\[u${code.toString(16).toUpperCase().padStart(4, '0')}]`;
  }
  return out;
}

/** Literal text (code, options): every `-` a minus sign, so that it can be copied. */
function literal(text: string): string {
  return troff(text, true);
}

/** Prose: hyphens stay hyphens, except the one starting an option (`-c`, `--version`). */
function prose(text: string): string {
  return troff(text).replace(
    /(^|[\s([])(-{1,2})(?=[A-Za-z])/g,
    (_, before: string, dashes) => `${before}${'\\-'.repeat(dashes.length)}`,
  );
}

/** Links become their text, followed by the address when it is absolute. */
function links(text: string): string {
  return text.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label: string, url: string) =>
    /^https?:/.test(url) ? `${label} <${url}>` : label,
  );
}

/** Inline Markdown: `code` in bold, **strong** in bold, *emphasis* in italics, links as text. */
export function inline(markdown: string): string {
  return links(markdown)
    .split(/(`[^`]+`)/)
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1) {
        return `\\fB${literal(part.slice(1, -1))}\\fR`;
      }
      return prose(part)
        .replace(/\*\*([^*]+)\*\*/g, '\\fB$1\\fR')
        .replace(/(^|[^\w*])\*([^*\s][^*]*)\*(?!\w)/g, '$1\\fI$2\\fR');
    })
    .join('');
}

/** A line of text that troff must not read as a request. */
function line(text: string): string {
  return /^[.']/.test(text) ? `\\&${text}` : text;
}

/** Text filled by troff, cut into source lines of about 100 characters at spaces. */
function filled(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/ +/)) {
    if (current !== '' && current.length + word.length > 100) {
      out.push(line(current));
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') out.push(line(current));
  return out;
}

/** A table as tagged paragraphs: the first cell is the tag, the other columns its text. */
function table(block: Extract<Block, { kind: 'table' }>): string[] {
  const out: string[] = [];
  for (const row of block.rows) {
    out.push('.TP', ...filled(inline(row[0] ?? '')));
    const middle = block.header
      .slice(1, -1)
      .map((name, i) => [name, row[i + 1] ?? ''] as const)
      .filter(([, value]) => value !== '' && value !== '—');
    if (middle.length > 0) {
      const parts = middle.map(([name, value]) => `\\fI${prose(name)}\\fR: ${inline(value)}`);
      out.push(...filled(parts.join('; ')), '.br');
    }
    const last = row.length > 1 ? (row[block.header.length - 1] ?? '') : '';
    if (last !== '') out.push(...filled(inline(last)));
  }
  return out;
}

function render(block: Block): string[] {
  switch (block.kind) {
    case 'heading':
      return [`.SS "${troff(block.text).replace(/"/g, '\\(dq')}"`];
    case 'paragraph':
      return ['.PP', ...filled(inline(block.text))];
    case 'code':
      return ['.PP', '.RS 4', '.nf', ...block.lines.map((l) => line(literal(l))), '.fi', '.RE'];
    case 'list':
      return block.items.flatMap((item, i) => [
        block.ordered ? `.IP ${i + 1}. 4` : '.IP \\(bu 2',
        ...filled(inline(item)),
      ]);
    case 'table':
      return ['.PP', ...table(block)];
  }
}

/** A section's Markdown body as man(7) source. */
export function toMan(markdown: string): string[] {
  return blocks(markdown).flatMap(render);
}

export interface PageOptions {
  readonly version: string;
  /** YYYY-MM-DD. */
  readonly date: string;
}

interface Part {
  readonly heading: string;
  readonly body: readonly string[];
}

function page(name: string, section: 5 | 8, parts: readonly Part[], options: PageOptions): ManPage {
  const manual = section === 8 ? 'System Administration' : 'File Formats';
  const text = [
    '.\\" Generated from README.md by scripts/deb/man.ts: edit the README, not this file.',
    `.TH ${name.toUpperCase()} ${section} ${options.date} "riposte ${options.version}" "${manual}"`,
    // Left-aligned and never hyphenated: options and paths must read as typed.
    '.ad l',
    '.nh',
    ...parts.flatMap((p) => [`.SH ${p.heading}`, ...p.body]),
    '',
  ].join('\n');
  return { file: `${name}.${section}`, text };
}

/** The synopsis lines of riposte(8): the first column of the README's table of commands. */
function synopsis(commandLine: string): string[] {
  const commands = blocks(commandLine).find((b) => b.kind === 'table');
  if (commands?.kind !== 'table') {
    throw new Error('cannot find the table of commands in the README\'s "Command line"');
  }
  return commands.rows.flatMap((row) => {
    const usage = /^`([^`]+)`$/.exec(row[0] ?? '')?.[1];
    if (usage === undefined || usage.startsWith('-')) return [];
    return ['.br', `\\fBriposte\\fR ${literal(usage)}`];
  });
}

const SEE_ALSO_8 = [
  '\\fBriposte.conf\\fR(5), \\fBsystemctl\\fR(1), \\fBnft\\fR(8),',
  '/usr/share/doc/riposte/README.md, /usr/share/doc/riposte/examples/',
];
const FILES_8 = [
  '.TP',
  '/etc/riposte/',
  'the configuration the service runs (\\fBriposte.conf\\fR(5))',
  '.TP',
  '/var/lib/riposte/riposte.db',
  'the state: counts and pending actions, kept across restarts',
  '.TP',
  '/run/riposte/riposte.sock',
  "root's control socket",
];
const FILES_5 = [
  '.TP',
  '/etc/riposte/riposte.yml',
  'the configuration installed by the package',
  '.TP',
  '/usr/share/doc/riposte/examples/',
  'configurations for nftables, iptables and ipset, with ssh, nginx and postfix filters',
];

/** riposte(8) and riposte.conf(5) from the README. */
export function manPages(readme: string, options: PageOptions): ManPage[] {
  const commandLine = section(readme, 'Command line');
  const configuration = section(readme, 'Configuration');
  const name8 = 'riposte \\- scan logs for repeated offences and act on them (ban, unban)';
  const name5 = 'riposte.conf \\- configuration of riposte: patterns, streams, filters, actions';
  return [
    page(
      'riposte',
      8,
      [
        { heading: 'NAME', body: [name8] },
        { heading: 'SYNOPSIS', body: synopsis(commandLine).slice(1) },
        { heading: 'DESCRIPTION', body: toMan(commandLine) },
        { heading: 'FILES', body: FILES_8 },
        { heading: '"SEE ALSO"', body: SEE_ALSO_8 },
      ],
      options,
    ),
    page(
      'riposte.conf',
      5,
      [
        { heading: 'NAME', body: [name5] },
        { heading: 'DESCRIPTION', body: toMan(configuration) },
        { heading: 'FILES', body: FILES_5 },
        { heading: '"SEE ALSO"', body: ['\\fBriposte\\fR(8), /usr/share/doc/riposte/README.md'] },
      ],
      options,
    ),
  ];
}
