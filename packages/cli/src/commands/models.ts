import { listProviders, type ModelPrice, type ProviderInfo } from "@rephysco/core";
import type { Command } from "commander";
import { priceSheetOf } from "../price-sheets.js";
import { readSettings, updateSettings } from "../store/settings.js";
import type { Terminal } from "../terminal.js";
import { stripTerminalControls } from "../terminal-text.js";
import { UsageError } from "../usage-error.js";

/** One model as `rephysco models --json` prints it. Prices are USD per million tokens. */
export interface ModelRow {
  /** Registry id of the provider. */
  readonly provider: string;
  /** Model id. */
  readonly model: string;
  /** `true` for the provider's default model. */
  readonly default: boolean;
  /** Uncached input tokens; `null` when the price is unknown. */
  readonly input: number | null;
  /** Input tokens read from the prompt cache (the input price when not priced apart); `null` when unknown. */
  readonly cachedInput: number | null;
  /** Output tokens; `null` when unknown. */
  readonly output: number | null;
  /** The day the provider's price sheet was read (`YYYY-MM-DD`); `null` when the price is unknown. */
  readonly asOf: string | null;
}

/** The providers asked for: every one but aliases, or the one named (an alias names its target). */
function selectProviders(id: string | undefined): ProviderInfo[] {
  const all = listProviders();
  if (id === undefined) return all.filter((p) => p.aliasOf === undefined);
  const found = all.find((p) => p.id === id);
  if (!found) {
    throw new UsageError(
      `unknown provider ${JSON.stringify(id)}; the providers are ${all.map((p) => p.id).join(", ")}`,
    );
  }
  const target = found.aliasOf ? all.find((p) => p.id === found.aliasOf) : found;
  return [target ?? found];
}

function row(
  info: ProviderInfo,
  model: string,
  price: ModelPrice | undefined,
  asOf: string,
): ModelRow {
  return {
    provider: info.id,
    model,
    default: model === info.defaultModel,
    input: price?.input ?? null,
    cachedInput: price ? (price.cachedInput ?? price.input) : null,
    output: price?.output ?? null,
    asOf: price ? asOf : null,
  };
}

/**
 * The models each provider's price sheet knows, with their prices; the default model first when
 * the sheet does not know it (prices unknown).
 *
 * @param provider - a registered provider id (an alias lists its target); every provider when
 * omitted.
 * @throws {UsageError} for an unknown provider id, listing the known ones.
 */
export async function listModels(provider?: string): Promise<ModelRow[]> {
  const rows: ModelRow[] = [];
  for (const info of selectProviders(provider)) {
    const sheet = await priceSheetOf(info.packageName);
    const models = sheet?.models ?? {};
    if (info.defaultModel !== undefined && !Object.hasOwn(models, info.defaultModel)) {
      rows.push(row(info, info.defaultModel, undefined, ""));
    }
    for (const [model, price] of Object.entries(models)) {
      rows.push(row(info, model, price, sheet?.asOf ?? ""));
    }
  }
  return rows;
}

/** A price as `$2.50`, or `$0.075` when two decimals would lose a digit. */
function usd(n: number | null): string {
  if (n === null) return "";
  const fixed = n.toFixed(2);
  return `$${Number(fixed) === n ? fixed : String(n)}`;
}

function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
}

function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - text.length)) + text;
}

/** `rephysco models [--provider p] [--json]`. */
export async function runModels(
  term: Terminal,
  flags: { readonly provider?: string; readonly json?: boolean },
): Promise<void> {
  const rows = await listModels(flags.provider);
  if (flags.json) {
    term.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const { out } = term;
  const cells = rows.map((r) => ({
    provider: stripTerminalControls(r.provider),
    model: stripTerminalControls(r.default ? `${r.model} (default)` : r.model),
    input: usd(r.input),
    cached: usd(r.cachedInput),
    output: usd(r.output),
    asOf: r.asOf ?? "",
    unknown: r.input === null,
  }));
  const head = {
    provider: "PROVIDER",
    model: "MODEL",
    input: "INPUT",
    cached: "CACHED",
    output: "OUTPUT",
    asOf: "AS OF",
  };
  const width = (key: keyof typeof head): number =>
    Math.max(head[key].length, ...cells.filter((c) => !c.unknown).map((c) => c[key].length));
  const wProvider = Math.max(head.provider.length, ...cells.map((c) => c.provider.length)) + 2;
  const wModel = Math.max(head.model.length, ...cells.map((c) => c.model.length)) + 2;
  const [wIn, wCached, wOut] = [width("input"), width("cached"), width("output")];
  const prices = (c: { input: string; cached: string; output: string; asOf: string }): string =>
    `${padStart(c.input, wIn)}  ${padStart(c.cached, wCached)}  ${padStart(c.output, wOut)}  ${c.asOf}`;
  term.stdout.write(
    `${out.bold(`${padEnd(head.provider, wProvider)}${padEnd(head.model, wModel)}${prices(head)}`)}\n`,
  );
  for (const c of cells) {
    const tail = c.unknown ? out.dim("prices unknown") : prices(c);
    term.stdout.write(`${padEnd(c.provider, wProvider)}${padEnd(c.model, wModel)}${tail}\n`);
  }
  term.stdout.write(
    out.dim("Prices in USD per million tokens; CACHED is input read from the prompt cache.\n"),
  );
}

/** A model name as the settings keep it: not empty, no spaces or control characters. */
function checkModel(model: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (model.trim() === "" || /[\s\u0000-\u001f\u007f-\u009f]/.test(model)) {
    throw new UsageError(
      `${JSON.stringify(model)} is not a model name: give an alias, a model or provider/model, without spaces.`,
    );
  }
}

/** `rephysco models default [model] [--clear]`: shows, sets or clears the default model. */
export function runModelsDefault(
  term: Terminal,
  model: string | undefined,
  flags: { readonly clear?: boolean },
): void {
  if (flags.clear) {
    if (model !== undefined) throw new UsageError("give a model or --clear, not both.");
    updateSettings(({ defaultModel: _, ...rest }) => rest);
    term.stderr.write("Default model cleared: each provider uses its own.\n");
    return;
  }
  if (model === undefined) {
    const current = readSettings().defaultModel;
    if (current === undefined) {
      term.stderr.write(
        "No default model set: each provider uses its own (see rephysco models). Set one with: rephysco models default <model>\n",
      );
    } else {
      term.stdout.write(`${stripTerminalControls(current)}\n`);
    }
    return;
  }
  checkModel(model);
  updateSettings((s) => ({ ...s, defaultModel: model }));
  term.stderr.write(`Default model set to ${model}.\n`);
}

/**
 * Adds `models [--provider p] [--json]` and `models default [model] [--clear]` to the program.
 *
 * @param term - the run's terminal.
 */
export function registerModelsCommand(program: Command, term: Terminal): void {
  const models = program
    .command("models")
    .description("list the models with known prices; `models default` shows or sets the default")
    .option("-p, --provider <id>", "only this provider's models")
    .option(
      "--json",
      "print an array of {provider, model, default, input, cachedInput, output, asOf}",
    )
    .action((flags: { provider?: string; json?: boolean }) => runModels(term, flags));
  models
    .command("default")
    .description("show, set or clear the default model (an alias, a model or provider/model)")
    .argument("[model]", "the new default model")
    .option("--clear", "remove the default model")
    .action((model: string | undefined, flags: { clear?: boolean }) =>
      runModelsDefault(term, model, flags),
    );
}
