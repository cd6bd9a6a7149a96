/**
 * A command's argv with what it requires besides -i, for the tests that run every command in
 * COMMANDS (render needs --out, pki rotate-ca names the CA, etcd restore its snapshot), so a new command with a required
 * argument fails here once instead of in each such test.
 */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  render: ['--out', 'rendered'],
  'pki rotate-ca': ['kubernetes'],
  'etcd restore': ['--from', 'snapshot.db'],
};

export const commandArgv = (name: string): string[] => [...name.split(' '), ...(REQUIRED[name] ?? [])];
