/** Hints for the sudo/permission failures operators actually hit (stderr texts from sudo 1.9, coreutils). */
import { describe, expect, it } from 'vitest';
import { privilegeHint } from '../../../src/deploy/ssh/privilege-hint.js';

describe('privilegeHint', () => {
  it('names the sudoers fix for each sudo failure', () => {
    expect(privilegeHint('sudo: a password is required\n', 'deploy', true)).toContain('deploy ALL=(ALL) NOPASSWD: ALL');
    expect(privilegeHint('sudo: sorry, you must have a tty to run sudo\n', 'ops', true)).toContain('Defaults:ops !requiretty');
    expect(privilegeHint('ops is not in the sudoers file.  This incident will be reported.\n', 'ops', true)).toContain('may not use sudo');
    expect(privilegeHint('sh: 1: sudo: not found\n', 'ops', true)).toContain('not installed');
  });

  it('suggests ssh.sudo only for unprivileged users without sudo', () => {
    const denied = "mkdir: cannot create directory '/opt/x': Permission denied\n";
    expect(privilegeHint(denied, 'ops', false)).toContain('ssh.sudo: true');
    expect(privilegeHint(denied, 'root', false)).toBeUndefined();
    expect(privilegeHint(denied, 'ops', true)).toBeUndefined();
    expect(privilegeHint('No space left on device', 'ops', false)).toBeUndefined();
  });
});
