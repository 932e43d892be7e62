/** One command of the CLI: its words, its synopsis and what it does (one or more lines). */
interface Command {
  words: string;
  synopsis: string;
  about: string[];
}

const FILTERS = '[--type T]... [--result R]... [--actor A] [--project P] [--ip IP] [--q TEXT]';

const COMMANDS: Command[] = [
  {
    words: 'serve',
    synopsis: 'serve [--port N] [--host H] [--data-dir DIR] [--database-url URL]',
    about: ['run the server (what npm start runs)'],
  },
  { words: 'migrate', synopsis: 'migrate', about: ['apply pending database migrations and exit'] },
  { words: 'org create', synopsis: 'org create SLUG [--name NAME]', about: ['create an organization'] },
  {
    words: 'apikey create',
    synopsis: 'apikey create --org SLUG [--scopes events:write,events:read] [--name NAME] [--expires-days N]',
    about: ['create an API key; the key is the last line printed'],
  },
  {
    words: 'events list',
    synopsis: `events list --org SLUG ${FILTERS} [--range 24h|7d|30d|this_month] [--limit N] [--json]`,
    about: ['the newest matching entries (50 by default) as a table, or as JSON lines with --json'],
  },
  {
    words: 'export',
    synopsis: `export --org SLUG --format csv|xlsx|jsonl --out FILE ${FILTERS} [--range R] [--order time|chain] [--name NAME]`,
    about: ['queue an export, run it with progress on a terminal, and write its file to FILE'],
  },
  { words: 'verify', synopsis: 'verify --org SLUG', about: ["verify an organization's hash chain and latest checkpoint (exit 1 if broken)"] },
  {
    words: 'verify',
    synopsis: 'verify --file export.jsonl [--checkpoint cp.txt --key pub.pem]',
    about: ['verify an export offline: chain, signature, Merkle root (exit 1 if bad)'],
  },
  { words: 'retention run', synopsis: 'retention run [--org SLUG]', about: ['purge entries past retention now (all organizations by default)'] },
  {
    words: 'integrity export',
    synopsis: 'integrity export --org SLUG --out FILE',
    about: ['write the stored chain as JSONL, one entry per line, in seq order'],
  },
  {
    words: 'integrity checkpoint',
    synopsis: 'integrity checkpoint --org SLUG [--out FILE] [--key-out FILE]',
    about: ['sign a checkpoint now; print (or write) it, and the signing public key'],
  },
  { words: 'integrity rotate-key', synopsis: 'integrity rotate-key', about: ['start signing with a new key (old public keys stay listed)'] },
  {
    words: 'db copy',
    synopsis: 'db copy --from DATA_DIR --to postgres://... [--from-secret-key-file FILE]',
    about: ['copy an SQLite installation into an empty PostgreSQL database', "(the target's key: AUDITUM_SECRET_KEY or AUDITUM_SECRET_KEY_FILE)"],
  },
  {
    words: 'tail',
    synopsis: `tail --org SLUG ${FILTERS} [--after-seq N]`,
    about: ['print new entries as JSON lines as they are recorded, until Ctrl-C'],
  },
  {
    words: 'cluster status',
    synopsis: 'cluster status [--org SLUG]',
    about: ['the servers sharing the database, their leases, schedules and lag (JSON)'],
  },
  {
    words: 'user create',
    synopsis: 'user create --org SLUG --email E [--role owner|admin|member] [--name NAME]',
    about: ['create a user (password read from AUDITUM_PASSWORD,', 'else generated and printed once as the last line)'],
  },
];

const WIDTH = 47;

function describe(command: Command): string {
  const [first, ...rest] = command.about;
  const head = command.synopsis.length < WIDTH - 1
    ? [`  ${command.synopsis.padEnd(WIDTH)}${first}`]
    : [`  ${command.synopsis}`, `  ${''.padEnd(WIDTH)}${first}`];
  return [...head, ...rest.map((line) => `  ${''.padEnd(WIDTH)}${line}`)].join('\n');
}

const FOOTER = `Commands that change credentials or settings are recorded in the organization's audit log as the
system actor "cli", or as the user given with --as EMAIL.

Every command takes --data-dir DIR and --database-url postgres://... (AUDITUM_DATA_DIR, AUDITUM_DATABASE_URL).
Configuration comes from the environment (PORT, AUDITUM_DATA_DIR, ...; see README).`;

/** The usage of every command. */
export const USAGE = `usage: auditum <command>\n\n${COMMANDS.map(describe).join('\n')}\n\n${FOOTER}`;

/** The commands named by the first words of `positionals` (`["integrity", "export"]`), or none. */
export function commandsFor(positionals: readonly string[]): Command[] {
  const [first, second] = positionals;
  const exact = COMMANDS.filter((c) => c.words === `${first} ${second}`);
  return exact.length > 0 ? exact : COMMANDS.filter((c) => c.words === first || c.words.startsWith(`${first} `));
}

/** The usage of the commands `positionals` name (`auditum tail --help`), or of all. */
export function usageOf(positionals: readonly string[]): string {
  const commands = commandsFor(positionals);
  return commands.length === 0 ? USAGE : `usage:\n${commands.map(describe).join('\n')}\n\n${FOOTER}`;
}

/**
 * What the command line lacks, in one line: the required flags and words of the commands it names
 * that were not given ("apikey create needs --org SLUG"), or that no command has these words.
 */
export function missingArguments(positionals: readonly string[], values: Record<string, unknown>): string {
  const commands = commandsFor(positionals);
  if (commands.length === 0) return `no command "${positionals.join(' ')}"; auditum --help lists them`;
  const [first, second] = positionals;
  const subs = [...new Set(commands.map((c) => c.words.split(' ')[1]).filter((w): w is string => w !== undefined))];
  if (subs.length > 0 && !subs.includes(second ?? '')) return `${first} needs one of: ${subs.join(', ')}`;
  const needs = commands.map((command) => {
    // Outside [...]: the words after the command's own, and the flags with their values.
    const required = command.synopsis.replace(/\[[^\]]*\]\.*/g, '').trim().split(/\s+/).slice(command.words.split(' ').length);
    const missing: string[] = [];
    let given = positionals.length - command.words.split(' ').length;
    for (let i = 0; i < required.length; i++) {
      const token = required[i]!;
      if (token.startsWith('--')) {
        const value = required[i + 1] && !required[i + 1]!.startsWith('--') ? required[++i] : undefined;
        if (values[token.slice(2)] === undefined) missing.push(value ? `${token} ${value}` : token);
      } else if (given-- <= 0) {
        missing.push(token);
      }
    }
    return { command, missing };
  });
  const best = needs.sort((a, b) => a.missing.length - b.missing.length)[0]!;
  return best.missing.length > 0
    ? `${best.command.words} needs ${best.missing.join(' ')}`
    : `${best.command.words}: these arguments do not go together`;
}
