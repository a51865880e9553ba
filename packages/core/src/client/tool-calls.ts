import { InvalidOutputError, InvalidRequestError, type OutputIssue } from "../errors.js";
import type { Provider } from "../provider.js";
import { checkValue, issuesText, type ResolvedSchema, resolveSchema } from "../tools/schema.js";
import type { ToolSet } from "../tools/tool.js";
import type { Message, ProviderCallOptions, ToolCall, ToolChoice, ToolSpec } from "../types.js";
import { type EventListener, emit } from "./events.js";
import type { Targets } from "./targets.js";

/** A call's tools, checked and converted once: what providers get, and what answers are checked against. */
export interface ToolSetup {
  /** The tools as providers receive them. */
  readonly specs: readonly ToolSpec[];
  /** Each tool's schema, by name. */
  readonly schemas: ReadonlyMap<string, ResolvedSchema>;
  /** The tools as the caller gave them (for `execute`). */
  readonly tools: ToolSet;
}

function invalid(message: string): InvalidRequestError {
  return new InvalidRequestError(message, { provider: "client", reason: "invalid_tool" });
}

/**
 * Checks and converts a call's `tools` and `toolChoice`; `undefined` when the call has no tools.
 *
 * @throws {InvalidRequestError} (`invalid_tool`) for a malformed tool, schema or choice.
 */
export function prepareTools(tools: unknown, toolChoice: unknown): ToolSetup | undefined {
  if (tools === undefined) {
    if (toolChoice !== undefined && toolChoice !== "none" && toolChoice !== "auto")
      throw invalid("toolChoice needs tools: pass tools: { name: { parameters, ... } }.");
    return undefined;
  }
  if (tools === null || typeof tools !== "object" || Array.isArray(tools))
    throw invalid(
      "tools must be an object keyed by tool name: { get_weather: { description, parameters, execute } }.",
    );
  const specs: ToolSpec[] = [];
  const schemas = new Map<string, ResolvedSchema>();
  for (const [name, t] of Object.entries(tools)) {
    if (name === "") throw invalid("A tool name must not be empty.");
    if (!t || typeof t !== "object")
      throw invalid(`tools.${name} must be an object { description?, parameters, execute? }.`);
    const tool = t as Record<string, unknown>;
    if (tool.description !== undefined && typeof tool.description !== "string")
      throw invalid(`tools.${name}.description must be a string.`);
    if (tool.execute !== undefined && typeof tool.execute !== "function")
      throw invalid(`tools.${name}.execute must be a function.`);
    if (tool.strict !== undefined && typeof tool.strict !== "boolean")
      throw invalid(`tools.${name}.strict must be a boolean.`);
    if (tool.parameters === undefined)
      throw invalid(
        `tools.${name}.parameters is missing: give a JSON Schema ({ type: "object", properties: {...} }) or a zod/ArkType schema.`,
      );
    const schema = resolveSchema(tool.parameters, `tools.${name}.parameters`);
    schemas.set(name, schema);
    specs.push({
      name,
      ...(tool.description !== undefined && { description: tool.description as string }),
      parameters: schema.jsonSchema,
      ...(tool.strict !== undefined && { strict: tool.strict as boolean }),
    });
  }
  if (specs.length === 0)
    throw invalid("tools is empty: give at least one tool, or leave tools out.");
  if (toolChoice !== undefined) checkToolChoice(toolChoice, schemas);
  return { specs, schemas, tools: tools as ToolSet };
}

function checkToolChoice(
  choice: unknown,
  schemas: ReadonlyMap<string, unknown>,
): asserts choice is ToolChoice {
  if (choice === "auto" || choice === "none" || choice === "required") return;
  if (
    choice &&
    typeof choice === "object" &&
    typeof (choice as { name?: unknown }).name === "string"
  ) {
    const name = (choice as { name: string }).name;
    if (!schemas.has(name))
      throw invalid(
        `toolChoice names ${JSON.stringify(name)}, which is not one of this call's tools (${[...schemas.keys()].join(", ")}).`,
      );
    return;
  }
  throw invalid(
    `toolChoice must be "auto", "none", "required" or { name }; got ${JSON.stringify(choice)}.`,
  );
}

/**
 * Checks a call against every provider it can reach (the primary and each fallback that can be
 * created; one that cannot fails later, when it is tried, with its own error): tools and
 * structured output must be supported, and each provider's own rules (`validateCall`) must pass.
 * Runs before any request.
 */
export function checkReachable(
  targets: Targets,
  messages: readonly Message[],
  options: ProviderCallOptions,
): void {
  for (let i = 0; i < targets.length; i++) {
    let provider: Provider;
    let model: string;
    try {
      const t = targets.resolve(i);
      provider = t.provider;
      model = i === 0 ? options.model : t.model;
    } catch {
      continue;
    }
    const caps = provider.capabilities;
    const role = i === 0 ? "" : ` (fallback ${i})`;
    if (options.tools?.length && !caps.tools)
      throw new InvalidRequestError(
        `${provider.name}${role} does not support tools; remove tools or use a provider that has them.`,
        { provider: provider.name, reason: "unsupported_feature" },
      );
    if (options.responseFormat && !caps.structuredOutput)
      throw new InvalidRequestError(`${provider.name}${role} does not support structured output.`, {
        provider: provider.name,
        reason: "unsupported_feature",
      });
    provider.validateCall?.(messages, { ...options, model });
  }
}

function outputError(
  message: string,
  provider: string,
  call: ToolCall,
  issues?: readonly OutputIssue[],
): InvalidOutputError {
  return new InvalidOutputError(message, {
    provider,
    reason: "invalid_tool_arguments",
    data: {
      text: call.rawArguments,
      toolName: call.name,
      toolCallId: call.id,
      ...(issues && { issues }),
    },
  });
}

/** Parses JSON text; `undefined` with the error text when it is not JSON. */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/**
 * Parses and validates the tool calls of one answer: new objects with `arguments` set. An
 * unknown tool, arguments that are not a JSON object, or arguments the tool's validator rejects
 * are an {@link InvalidOutputError} carrying the raw text.
 */
export async function parseToolCalls(
  raw: readonly ToolCall[] | undefined,
  setup: ToolSetup | undefined,
  provider: string,
  stepNumber: number,
  listener: EventListener | undefined,
): Promise<ToolCall[]> {
  const out: ToolCall[] = [];
  if (!raw?.length) return out;
  for (const call of raw) {
    const schema = setup?.schemas.get(call.name);
    if (!schema) {
      const known = setup ? [...setup.schemas.keys()].join(", ") : "none";
      throw outputError(
        `${provider}: the model called ${JSON.stringify(call.name)}, which is not one of this call's tools (${known}).`,
        provider,
        call,
      );
    }
    const text = typeof call.rawArguments === "string" ? call.rawArguments.trim() : "";
    const parsed = text === "" ? { ok: true as const, value: {} } : parseJson(text);
    if (!parsed.ok)
      throw outputError(
        `${provider}: the arguments of the call to ${call.name} are not valid JSON (${parsed.error}).`,
        provider,
        call,
      );
    const value = parsed.value;
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw outputError(
        `${provider}: the arguments of the call to ${call.name} are not a JSON object.`,
        provider,
        call,
      );
    const checked = await checkValue(schema, value);
    if (!checked.ok)
      throw outputError(
        `${provider}: the arguments of the call to ${call.name} do not match its schema: ${issuesText(checked.issues)}.`,
        provider,
        call,
        checked.issues,
      );
    // A provider that gives no id (a third party's legacy chunks) gets one that is unique in the
    // step, so that a result can answer it.
    const id = call.id || `call_${stepNumber}_${out.length}`;
    out.push({
      id,
      name: call.name,
      arguments: checked.value,
      rawArguments: call.rawArguments,
      ...(call.providerMetadata && { providerMetadata: call.providerMetadata }),
    });
    emit(listener, { type: "tool_call", stepNumber, toolCallId: id, toolName: call.name });
  }
  return out;
}
