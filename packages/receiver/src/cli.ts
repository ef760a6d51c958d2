import { readFileSync } from 'node:fs';
import { parseCli, USAGE } from './cli-args.js';
import { importEvents, readExport } from './import.js';
import { type RunningReceiver, startReceiver } from './server.js';
import { openStore } from './store.js';

/** Where the CLI writes (tests pass their own). */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/**
 * The `trailmark-receiver` command. Resolves to the exit code once the command is done; when serving, that is
 * once the receiver listens (it then runs until SIGINT/SIGTERM, which close it cleanly).
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let command: ReturnType<typeof parseCli>;
  try {
    command = parseCli(argv);
  } catch (error) {
    io.err(`trailmark-receiver: ${(error as Error).message}`);
    return 2;
  }
  if (command.command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command.command === 'redact') {
    let store: ReturnType<typeof openStore> | undefined;
    try {
      store = openStore({ dataDir: command.dataDir });
      io.out(JSON.stringify({ ok: true, ...store.redactStored() }));
      return 0;
    } catch (error) {
      io.err(`trailmark-receiver: redact failed: ${(error as Error).message}`);
      return 1;
    } finally {
      store?.close();
    }
  }
  if (command.command === 'import') {
    let events: unknown[];
    try {
      events = readExport(readFileSync(command.file, 'utf8'));
    } catch (error) {
      io.err(`trailmark-receiver: cannot import ${command.file}: ${(error as Error).message}`);
      return 1;
    }
    const store = openStore({ dataDir: command.dataDir, memory: command.memory });
    try {
      const result = await importEvents(store, events, { siteId: command.siteId });
      io.out(JSON.stringify({ ok: true, ...result }));
      return 0;
    } catch (error) {
      io.err(`trailmark-receiver: import failed: ${(error as Error).message}`);
      return 1;
    } finally {
      store.close();
    }
  }
  let running: RunningReceiver;
  try {
    running = await startReceiver(command.options);
  } catch (error) {
    io.err(`trailmark-receiver: cannot start: ${(error as Error).message}`);
    return 1;
  }
  const { options } = command;
  io.out(`trailmark-receiver listening on ${running.url}`);
  io.out(`  sites: ${running.receiver.sites.map((site) => site.id).join(', ')}; storage: ${running.receiver.store.location}`);
  io.out(`  live page: ${running.url}/${options.dev ? ' (dev mode: open, inspection at /_trailmark/*)' : ' (enter the read key)'}`);
  const shutdown = (signal: string) => {
    io.out(`trailmark-receiver: ${signal}, closing`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        io.err(`trailmark-receiver: close failed: ${error}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return 0;
}
