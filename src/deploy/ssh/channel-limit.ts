/**
 * Caps the channels open at once on one connection. OpenSSH's sshd refuses sessions beyond
 * MaxSessions (default 10) per connection, so the executor's parallel steps queue here instead
 * of failing with "open failed".
 */
export class ChannelLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  /** Runs `task` once a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
