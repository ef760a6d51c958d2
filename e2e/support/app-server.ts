import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { Socket } from 'node:net';

/** A server the tests started (a framework app's production server), and how to stop it. */
export interface AppServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `command` (a production server on 127.0.0.1) in its own process group and waits until `url` answers; `stop()`
 * ends that group, by its id.
 */
export async function startApp(command: string, args: string[], cwd: string, url: string, timeoutMs = 30_000): Promise<AppServer> {
  const child: ChildProcess = spawn(command, args, {
    cwd,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: 'pipe',
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited (${child.exitCode}):\n${output}`);
    const up = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output}`);
}

/**
 * Passes every request on `endpoint` (an app's built-in endpoint, e2e/support/app-builds.mjs) to `target` (this
 * worker's receiver) as it came, headers and body byte for byte, and its answer back the same way. `close()` stops
 * it and ends the connections still open.
 */
export async function startForwarder(endpoint: string, target: string): Promise<{ close(): Promise<void> }> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, code: 'forwarder', error: error.message }));
    });
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const { hostname, port } = new URL(endpoint);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), hostname, resolve);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
