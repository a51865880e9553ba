import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createConnection, createServer } from "node:net";

/**
 * A `redis-server` started for one test file, on its own free port, with no persistence (see
 * {@link startRedisServer}).
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** Stops the server and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Suspends the process (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void;
  /** Resumes a paused server (SIGCONT). */
  resume(): void;
}

const MISSING =
  "redis-server is not installed, and these tests need a real one. " +
  "Install it with `bash scripts/ensure-redis.sh` (Debian/Ubuntu package redis-server), then run the tests again.";

function assertInstalled(): void {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
  } catch (error) {
    throw new Error(MISSING, { cause: error });
  }
}

const running = new Set<ChildProcess>();
// A test that times out never reaches its cleanup: do not leave servers behind the test process.
process.once("exit", () => {
  for (const child of running) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (!address || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

/** Resolves when the server answers PING with PONG. */
async function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    let data = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      data += chunk;
      if (data.includes("\r\n")) {
        socket.destroy();
        resolve(data.startsWith("+PONG"));
      }
    });
    socket.on("error", () => resolve(false));
  });
}

async function startOnce(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--loglevel",
      "warning",
      "--dir",
      // Nothing is written with persistence off; a neutral directory all the same.
      process.env.TMPDIR ?? "/tmp",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const spawnError = new Promise<never>((_, reject) => child.once("error", reject));
  spawnError.catch(() => undefined);
  for (let i = 0; i < 200; i++) {
    if (exited) throw new Error(`redis-server exited at start on port ${port}:\n${output}`);
    const ok = await Promise.race([pong(port), spawnError]);
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server did not accept connections on port ${port}:\n${output}`);
}

/**
 * Starts `redis-server` on a free port (or on `port`, to restart one that was stopped) with
 * `--save "" --appendonly no`, and waits until it answers PING. Fails with a message naming
 * `scripts/ensure-redis.sh` when the binary is missing.
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  assertInstalled();
  let lastError: unknown;
  // Another process may take the free port between the probe and redis-server binding it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    let child: ChildProcess;
    try {
      child = await startOnce(port);
    } catch (error) {
      lastError = error;
      continue;
    }
    running.add(child);
    const exited = once(child, "exit");
    exited.then(() => running.delete(child));
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGCONT");
        child.kill("SIGTERM");
        await exited;
      },
      pause() {
        child.kill("SIGSTOP");
      },
      resume() {
        child.kill("SIGCONT");
      },
    };
  }
  throw lastError;
}
