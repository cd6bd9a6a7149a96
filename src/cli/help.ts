/** --help text for the tool and for each command. */
import type { Command } from './command.js';

export function toolHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    `kubesmith ${version}: install Kubernetes from release binaries, offline, over SSH, with its own CA`,
    '',
    'Usage: kubesmith <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  -h, --help     show help for a command',
    '  --version      print the version',
    '  --debug        show stacks and causes on errors',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage or inventory error, 70 a bug in kubesmith. Ctrl-C, SIGTERM',
    'and SIGHUP stop a run without saving anything after the stop; it then ends by that signal (the',
    'shell shows 130, 143, 129). Output into a closed pipe (`| head`) stops quietly.',
    'Run `kubesmith help <command>` or `kubesmith <command> --help` for a command\'s options.',
  ].join('\n');
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: kubesmith ${group} <subcommand> [options]`,
    '',
    'Subcommands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export function commandHelp(cmd: Command): string {
  const opts = Object.entries(cmd.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' VALUE' : ''}`;
    const def = o.defaultText ? ` (default: ${o.defaultText})` : '';
    return `  ${flag.padEnd(28)} ${o.description}${def}`;
  });
  return [
    `Usage: kubesmith ${cmd.name} ${cmd.usage}`.trimEnd(),
    '',
    cmd.summary,
    ...(cmd.description ? ['', cmd.description] : []),
    '',
    'Options:',
    ...opts,
    `  ${'-h, --help'.padEnd(28)} show this help`,
    `  ${'    --debug'.padEnd(28)} show stacks and causes on errors`,
  ].join('\n');
}
