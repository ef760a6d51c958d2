// What the demo checks before it starts anything: that a port is free, and how to name a database without its password.
import { createServer } from 'node:net';

/**
 * Whether 127.0.0.1:`port` can be listened on: resolves to undefined when it can, else to a few words saying why
 * not (`is in use`, `needs privileges`).
 */
export function busyPort(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) =>
      resolve(
        error.code === 'EADDRINUSE'
          ? 'is in use'
          : error.code === 'EACCES'
            ? 'needs privileges to listen on'
            : `cannot be listened on (${error.code})`,
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(undefined)));
  });
}

/** A connection string as it may be printed: host, port and database, without user or password. */
export function describeDatabase(databaseUrl) {
  try {
    const url = new URL(databaseUrl);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}
