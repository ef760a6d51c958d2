/**
 * Thrown by the store when SQLite itself fails (disk full, I/O error, closed database). The app answers it
 * with 503 `unavailable` and `Retry-After`: nothing of the request was stored, so the client may retry.
 */
export class StorageError extends Error {
  override name = 'StorageError';
}

/** Runs a storage call, turning any failure of the database into a `StorageError`. */
export function guardStorage<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new StorageError(`${what} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}
