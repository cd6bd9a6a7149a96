/**
 * ssh2 is CommonJS and Node's ESM loader cannot see all of its named exports (`utils`), so the
 * runtime values come from the default export here, once.
 */
import ssh2 from 'ssh2';

/** The ssh2 client class. */
export const Client = ssh2.Client;
/** The ssh2 client instance type. */
export type Client = InstanceType<typeof ssh2.Client>;
/** Parses an OpenSSH/PEM private key; returns an Error for encrypted or malformed keys. */
export const parseKey = ssh2.utils.parseKey;
