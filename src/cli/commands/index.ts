/** Every command, in the order `kubesmith --help` lists them. Add one line per command file. */
import type { Command } from '../command.js';
import { validateCommand } from './validate.js';

export const COMMANDS: readonly Command[] = [
  validateCommand,
];
