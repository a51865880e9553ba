import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { Gateway, GatewayConfig, VirtualKeyPolicy } from "@rephysco/gateway";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ExitCode } from "../exit-codes.js";
import { formatError } from "../format-error.js";
import {
  parseDelay,
  parsePositiveDecimal,
  parsePositiveInt,
  parseTimeout,
} from "../parse-number.js";
import { dataDir } from "../store/dirs.js";
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
  /** Listen on a non-loopback interface although no keys file exists (nothing authenticates clients). */
  readonly allowUnauthenticated?: boolean;
  /** The virtual keys file (default: the config's `keys.file`, else `gateway-keys.json` in the data directory). */
  readonly keysFile?: string;
  /** Redis URL shared by every instance (overrides the config's `redis.url`). */
  readonly redis?: string;
  /** Longest drain on SIGTERM, ms (overrides the config's `drainTimeoutMs`). */
  readonly drainTimeout?: number;
  /** The log on stdout: `info` (access lines and failures), `warn`/`error` (failures), `silent`. */
  readonly logLevel?: "info" | "warn" | "error" | "silent";
}

/** The keys file `rephysco serve` and `rephysco serve keys` use when nothing names one. */
export function defaultKeysFile(): string {
  return join(dataDir(), "gateway-keys.json");
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

  const keysFile = flags.keysFile ?? config.keys?.file ?? defaultKeysFile();
  config = {
    ...config,
    keys: { ...config.keys, file: keysFile },
    ...(flags.redis !== undefined && { redis: { ...config.redis, url: flags.redis } }),
    ...(flags.drainTimeout !== undefined && { drainTimeoutMs: flags.drainTimeout }),
  };
  // Once the keys file exists every request needs a key; without it, only loopback.
  if (!isLoopbackHost(flags.host) && flags.allowUnauthenticated !== true && !existsSync(keysFile)) {
    return error(
      `refusing to listen on ${oneLine(flags.host, 100)}: no virtual keys exist (${oneLine(keysFile, 200)}), so anyone who can reach this address could spend your provider keys. Create one with \`rephysco serve keys create NAME\`, listen on 127.0.0.1 (the default), or pass --allow-unauthenticated if the network in front of it is trusted.`,
      ExitCode.USAGE_ERROR,
    );
  }

  let gateway: Gateway;
  try {
    // JSON lines on stdout: an access line per request and failures (pino, through Fastify).
    const level = flags.logLevel ?? "info";
    gateway = await createGateway(config, { logger: level === "silent" ? false : level });
  } catch (e) {
    const message =
      e instanceof Error && e.name === "KeysFileError" ? e.message : formatError(e).message;
    return error(stripTerminalControls(message), ExitCode.USAGE_ERROR);
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
  term.stderr.write(`${signal}: draining the gateway (/readyz answers 503)...\n`);
  await gateway.close();
  term.stderr.write("gateway closed\n");
  return ExitCode.OK;
}

/** Options of `rephysco serve keys create`. */
export interface KeyCreateFlags {
  readonly keysFile?: string;
  readonly config?: string;
  readonly models?: string;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly windowMs?: number;
  readonly budgetUsd?: number;
  readonly budgetTokens?: number;
  readonly budgetPeriod?: "minute" | "hour" | "day" | "week" | "month" | "total";
  readonly ownCache?: boolean;
}

/** The keys file of a `keys` subcommand: `--keys-file`, else the config's, else the default. */
async function keysFileOf(flags: { keysFile?: string; config?: string }): Promise<string> {
  if (flags.keysFile !== undefined) return flags.keysFile;
  if (flags.config !== undefined) {
    const { loadGatewayConfig } = await import("@rephysco/gateway");
    const file = (await loadGatewayConfig(flags.config)).keys?.file;
    if (file !== undefined) return file;
  }
  return defaultKeysFile();
}

/** `rephysco serve keys create NAME`: prints the new key (once) on stdout. */
export async function runKeyCreate(
  name: string,
  flags: KeyCreateFlags,
  term: Terminal,
): Promise<ExitCode> {
  const { createVirtualKey } = await import("@rephysco/gateway");
  const policy: { -readonly [K in keyof VirtualKeyPolicy]: VirtualKeyPolicy[K] } = {};
  if (flags.models !== undefined)
    policy.models = flags.models
      .split(",")
      .map((m) => m.trim())
      .filter((m) => m !== "");
  if (flags.rpm !== undefined || flags.tpm !== undefined)
    policy.rateLimit = {
      ...(flags.rpm !== undefined && { requests: flags.rpm }),
      ...(flags.tpm !== undefined && { tokens: flags.tpm }),
      ...(flags.windowMs !== undefined && { windowMs: flags.windowMs }),
    };
  else if (flags.windowMs !== undefined) return keyError(term, "--window-ms needs --rpm or --tpm.");
  if (flags.budgetUsd !== undefined && flags.budgetTokens !== undefined)
    return keyError(term, "give one of --budget-usd and --budget-tokens, not both.");
  if (flags.budgetUsd !== undefined || flags.budgetTokens !== undefined)
    policy.budget = {
      ...(flags.budgetUsd !== undefined && { usd: flags.budgetUsd }),
      ...(flags.budgetTokens !== undefined && { tokens: flags.budgetTokens }),
      ...(flags.budgetPeriod !== undefined && { period: flags.budgetPeriod }),
    };
  else if (flags.budgetPeriod !== undefined)
    return keyError(term, "--budget-period needs --budget-usd or --budget-tokens.");
  if (flags.ownCache) policy.shareCache = false;
  try {
    const file = await keysFileOf(flags);
    const { key } = await createVirtualKey(file, name, policy);
    term.stdout.write(`${key}\n`);
    term.stderr.write(
      `created key "${name}" in ${file}: it is shown only this once (only its hash is stored).\n`,
    );
    return ExitCode.OK;
  } catch (e) {
    return keyError(term, (e as Error).message);
  }
}

/** `rephysco serve keys revoke NAME`. */
export async function runKeyRevoke(
  name: string,
  flags: { keysFile?: string; config?: string },
  term: Terminal,
): Promise<ExitCode> {
  const { revokeVirtualKey } = await import("@rephysco/gateway");
  try {
    const file = await keysFileOf(flags);
    if (!(await revokeVirtualKey(file, name)))
      return keyError(term, `no key named "${oneLine(name, 80)}" in ${file}.`);
    term.stderr.write(`revoked key "${name}": running gateways refuse it within about a second.\n`);
    return ExitCode.OK;
  } catch (e) {
    return keyError(term, (e as Error).message);
  }
}

/** `rephysco serve keys list`: name, hint, creation time and policy of every key (never a key). */
export async function runKeyList(
  flags: { keysFile?: string; config?: string; json?: boolean },
  term: Terminal,
): Promise<ExitCode> {
  const { readKeysFile } = await import("@rephysco/gateway");
  try {
    const file = await keysFileOf(flags);
    const keys = (await readKeysFile(file))?.keys ?? {};
    if (flags.json) {
      const list = Object.entries(keys).map(([name, { hash: _hash, ...rest }]) => ({
        name,
        ...rest,
      }));
      term.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return ExitCode.OK;
    }
    for (const [name, r] of Object.entries(keys)) {
      const parts = [`${name}  rk-...${r.hint}  ${r.createdAt}`];
      if (r.models) parts.push(`models ${r.models.join(",")}`);
      if (r.rateLimit)
        parts.push(
          `limit ${[r.rateLimit.requests && `${r.rateLimit.requests} req`, r.rateLimit.tokens && `${r.rateLimit.tokens} tok`].filter(Boolean).join(" + ")}/${(r.rateLimit.windowMs ?? 60_000) / 1000}s`,
        );
      if (r.budget)
        parts.push(
          `budget ${r.budget.usd !== undefined ? `$${r.budget.usd}` : `${r.budget.tokens} tok`}/${r.budget.period ?? "total"}`,
        );
      if (r.shareCache === false) parts.push("own cache");
      term.stdout.write(`${stripTerminalControls(parts.join("  "))}\n`);
    }
    if (Object.keys(keys).length === 0) term.stderr.write(`no keys in ${file}\n`);
    return ExitCode.OK;
  } catch (e) {
    return keyError(term, (e as Error).message);
  }
}

function keyError(term: Terminal, message: string): ExitCode {
  term.stderr.write(`${term.err.red(term.err.bold("error:"))} ${stripTerminalControls(message)}\n`);
  return ExitCode.USAGE_ERROR;
}

/** Registers `rephysco serve`. */
export function registerServeCommand(
  program: Command,
  term: Terminal,
  setExitCode: (code: ExitCode) => void,
): void {
  const serve = program
    .command("serve")
    .description(
      "run the OpenAI-compatible gateway: POST /v1/chat/completions reaches every provider",
    )
    .option("--config <file>", "gateway config file (JSON or YAML): named models, fallbacks...")
    .option("--port <n>", "port to listen on (0 picks a free one)", parsePort, DEFAULT_SERVE_PORT)
    .option("--host <addr>", "interface to listen on", DEFAULT_SERVE_HOST)
    .option(
      "--allow-unauthenticated",
      "allow a non-loopback --host although no keys file exists (clients are not authenticated)",
    )
    .option(
      "--keys-file <file>",
      "virtual keys file (default: the config's keys.file, else the data directory's gateway-keys.json)",
    )
    .option(
      "--redis <url>",
      "Redis shared by every instance: cache, rate limits, budgets, cool-downs",
    )
    .option(
      "--drain-timeout <ms>",
      "on SIGTERM, longest wait for requests and streams in flight",
      parseDelay,
    )
    .addOption(
      new Option(
        "--log-level <level>",
        "stdout log: info (access lines + failures), warn, error, silent",
      )
        .choices(["info", "warn", "error", "silent"])
        .default("info"),
    )
    .action(async (flags: ServeFlags) => {
      setExitCode(await runServe(flags, term));
    });

  const keys = serve
    .command("keys")
    .description(
      "manage the gateway's virtual keys (stored hashed; a running gateway picks up changes)",
    );
  const fileOptions = (c: Command) =>
    c
      .option(
        "--keys-file <file>",
        "the keys file (default: the config's keys.file, else the data directory's)",
      )
      .option("--config <file>", "gateway config whose keys.file to use");
  fileOptions(
    keys
      .command("create")
      .argument("<name>", "the key's name (shown in logs and metrics; never the key)")
      .description("create a key and print it once")
      .option("--models <list>", 'models it may use, comma-separated ("fast,openai/*")')
      .option("--rpm <n>", "requests per window (default window a minute)", parsePositiveInt)
      .option("--tpm <n>", "tokens per window", parsePositiveInt)
      .option("--window-ms <ms>", "window of --rpm/--tpm, ms (default 60000)", parseTimeout)
      .option("--budget-usd <usd>", "spending cap in US dollars", parsePositiveDecimal)
      .option("--budget-tokens <n>", "spending cap in tokens", parsePositiveInt)
      .addOption(
        new Option("--budget-period <period>", "period of the budget (default total)").choices([
          "minute",
          "hour",
          "day",
          "week",
          "month",
          "total",
        ]),
      )
      .option("--own-cache", "do not share cached answers with other keys"),
  ).action(async (name: string, flags: KeyCreateFlags) => {
    setExitCode(await runKeyCreate(name, flags, term));
  });
  fileOptions(
    keys.command("revoke").argument("<name>", "the key's name").description("revoke a key"),
  ).action(async (name: string, flags: { keysFile?: string; config?: string }) => {
    setExitCode(await runKeyRevoke(name, flags, term));
  });
  fileOptions(
    keys
      .command("list")
      .description("list the keys (names and policies; never the keys)")
      .option("--json", "as JSON"),
  ).action(async (flags: { keysFile?: string; config?: string; json?: boolean }) => {
    setExitCode(await runKeyList(flags, term));
  });
}
