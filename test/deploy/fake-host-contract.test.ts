/** FakeHost must pass the same HostConnection contract as the real ssh2 connection. */
import { FakeHost } from '../support/fake-host.js';
import { describeHostConnectionContract } from '../support/host-connection-contract.js';

describeHostConnectionContract('FakeHost', async () => {
  const conn = new FakeHost('fake01');
  conn.seed('/srv/contract/.keep', '');
  conn.files.delete('/srv/contract/.keep');
  return { conn, dir: '/srv/contract' };
});
