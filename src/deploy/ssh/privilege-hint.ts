/**
 * Turns the usual privilege failures in a remote command's stderr into a hint that says what to
 * change on the host or in the inventory. kubesmith runs `sudo -n` without a terminal, so sudo
 * setups that want a password or a tty fail; say so instead of leaving the operator with sudo's text.
 */

/** A hint for a failed privileged command, or undefined when stderr shows no privilege problem. */
export function privilegeHint(stderr: string, user: string, usesSudo: boolean): string | undefined {
  if (/a password is required|sudo: .*password/i.test(stderr)) {
    return `sudo asks ${user} for a password; kubesmith never types one. Allow it without: \`${user} ALL=(ALL) NOPASSWD: ALL\` in /etc/sudoers.d/${user}`;
  }
  if (/must have a tty|sorry, you must have a tty/i.test(stderr)) {
    return `sudo requires a terminal (Defaults requiretty); kubesmith runs commands without one. Add \`Defaults:${user} !requiretty\` in /etc/sudoers.d/${user}`;
  }
  if (/is not in the sudoers file|not allowed to execute/i.test(stderr)) {
    return `${user} may not use sudo on this host; grant it password-less sudo or connect as root (ssh.user)`;
  }
  if (/sudo: (command )?not found/i.test(stderr)) {
    return 'sudo is not installed on the host; install it or connect as root (ssh.user: root)';
  }
  if (!usesSudo && user !== 'root' && /Permission denied|Operation not permitted/i.test(stderr)) {
    return `user ${user} lacks permission there; set ssh.sudo: true (password-less sudo) or connect as root`;
  }
  return undefined;
}
