import { isIP } from "node:net";
import type { Gateway, GatewayConfig } from "@rephysco/gateway";
import { type Command, InvalidArgumentError } from "commander";
import { ExitCode } from "../exit-codes.js";
import { formatError } from "../format-error.js";
import type { Terminal } from "../terminal.js";
import { oneLine, stripTerminalControls } from "../terminal-text.js";

/** Options of `rephysco serve`, as parsed from the command line. */
export interface ServeFlags {
  /** Gateway config file (JSON or YAML). */
  readonly config?: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Interface to listen on. */
  readonly host: string;
  /** Listen on a non-loopback interface although nothing authenticates clients yet. */
  readonly allowUnauthenticated?: boolean;
}

/** Default port of `rephysco serve`. */
export const DEFAULT_SERVE_PORT = 4000;
/** Default interface of `rephysco serve`: loopback only. */
export const DEFAULT_SERVE_HOST = "127.0.0.1";

/** Commander parser for `--port`: a whole number from 0 to 65535. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value.trim()) || n > 65_535) {
    throw new InvalidArgumentError("Expected a port from 0 to 65535 (0 picks a free one).");
  }
  return n;
}

/**
 * Whether `host` only accepts connections from this machine: `localhost`, 127.0.0.0/8, `::1`
 * (and `::ffff:127.x.y.z`). Anything else, `0.0.0.0` and `::` included, is reachable from the
 * network.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) {
    if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith("127.");
  }
  return false;
}

/** The first of some signals the process receives; `cancel` removes the listeners. */
interface SignalWait {
  readonly received: Promise<NodeJS.Signals>;
  cancel(): void;
}

/** Listens for `signals` until the first arrives (or `cancel`); the listeners are then removed. */
function waitForSignal(signals: readonly NodeJS.Signals[]): SignalWait {
  let handlers: (readonly [NodeJS.Signals, () => void])[] = [];
  const cancel = () => {
    for (const [s, h] of handlers) process.off(s, h);
    handlers = [];
  };
  const received = new Promise<NodeJS.Signals>((resolve) => {
    handlers = signals.map((signal) => {
      const handler = () => {
        cancel();
        resolve(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
  });
  return { received, cancel };
}

/**
 * Runs the gateway until SIGINT or SIGTERM, then closes it (in-flight requests finish first).
 * Resolves to the exit code: 0 after a clean shutdown, 2 for a refused host or a bad config file
 * (the message names the line and field), 1 when the server cannot start (port in use...).
 */
export async function runServe(flags: ServeFlags, term: Terminal): Promise<ExitCode> {
  const error = (message: string, code: ExitCode): ExitCode => {
    term.stderr.write(`${term.err.red(term.err.bold("error:"))} ${message}\n`);
    return code;
  };
  if (!isLoopbackHost(flags.host) && flags.allowUnauthenticated !== true) {
    return error(
      `refusing to listen on ${oneLine(flags.host, 100)}: the gateway does not authenticate clients yet (virtual keys come later), so anyone who can reach this address could spend your provider keys. Listen on 127.0.0.1 (the default), or pass --allow-unauthenticated if the network in front of it is trusted.`,
      ExitCode.USAGE_ERROR,
    );
  }

  // Loaded here, not at the top: the other commands never pay for the server (Fastify) at start.
  const { createGateway, GatewayConfigError, loadGatewayConfig } = await import(
    "@rephysco/gateway"
  );
  let config: GatewayConfig = {};
  if (flags.config !== undefined) {
    try {
      config = await loadGatewayConfig(flags.config);
    } catch (e) {
      if (e instanceof GatewayConfigError) {
        return error(stripTerminalControls(e.message), ExitCode.USAGE_ERROR);
      }
      const { message, exitCode } = formatError(e);
      return error(message, exitCode);
    }
  }

  let gateway: Gateway;
  try {
    // Failures (upstream 5xx, mid-stream errors) as JSON lines on stdout; requests themselves
    // are not logged yet (access logs are a later step).
    gateway = await createGateway(config, { logger: "warn" });
  } catch (e) {
    const { message } = formatError(e);
    return error(message, ExitCode.USAGE_ERROR);
  }
  // Registered before listening: a signal that arrives while the port opens still closes it.
  const stop = waitForSignal(["SIGINT", "SIGTERM"]);
  let url: string;
  try {
    // `[::1]` is how a URL writes the address; listen() takes it bare.
    const host = flags.host.trim().replace(/^\[(.*)\]$/, "$1");
    ({ url } = await gateway.listen({ port: flags.port, host }));
  } catch (e) {
    await gateway.close().catch(() => undefined);
    const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
    const why = code === "EADDRINUSE" ? "the port is in use" : formatError(e).message;
    stop.cancel();
    return error(
      `cannot listen on ${oneLine(flags.host, 100)}:${flags.port}: ${why}`,
      ExitCode.PROVIDER_ERROR,
    );
  }
  term.stderr.write(
    `rephysco gateway listening on ${url} (OpenAI-compatible: ${url}/v1/chat/completions)\n`,
  );
  const signal = await stop.received;
  term.stderr.write(`${signal}: closing the gateway...\n`);
  await gateway.close();
  return ExitCode.OK;
}

/** Registers `rephysco serve`. */
export function registerServeCommand(
  program: Command,
  term: Terminal,
  setExitCode: (code: ExitCode) => void,
): void {
  program
    .command("serve")
    .description(
      "run the OpenAI-compatible gateway: POST /v1/chat/completions reaches every provider",
    )
    .option("--config <file>", "gateway config file (JSON or YAML): named models, fallbacks...")
    .option("--port <n>", "port to listen on (0 picks a free one)", parsePort, DEFAULT_SERVE_PORT)
    .option("--host <addr>", "interface to listen on", DEFAULT_SERVE_HOST)
    .option(
      "--allow-unauthenticated",
      "allow a non-loopback --host although clients are not authenticated yet",
    )
    .action(async (flags: ServeFlags) => {
      setExitCode(await runServe(flags, term));
    });
}
