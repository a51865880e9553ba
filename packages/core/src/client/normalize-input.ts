import { ConfigurationError, InvalidRequestError, type RephyscoError } from "../errors.js";
import { MAX_TIMEOUT_MS } from "../http/limits.js";
import { validateImage } from "../images.js";
import type { ImageInput, Message, Role } from "../types.js";

const ROLES: ReadonlySet<Role> = new Set(["system", "user", "assistant", "tool"]);

function bad(message: string): InvalidRequestError {
  return new InvalidRequestError(message, { provider: "client", reason: "invalid_input" });
}

/**
 * Turns `generate`/`stream` input into the message list sent upstream: the system prompt first,
 * then the messages; `images` attach to the string prompt (or to the last user message).
 *
 * @throws {InvalidRequestError} for empty input, unknown roles, non-string content.
 */
export function normalizeInput(
  input: string | readonly Message[],
  systemPrompt: string | undefined,
  images: readonly ImageInput[] | undefined,
): Message[] {
  if (images !== undefined) checkImages(images, "options.images");
  const out: Message[] = [];
  if (systemPrompt !== undefined) {
    if (typeof systemPrompt !== "string") throw bad("systemPrompt must be a string.");
    if (systemPrompt !== "") out.push({ role: "system", content: systemPrompt });
  }
  if (typeof input === "string") {
    if (input.trim() === "" && !images?.length)
      throw bad("The prompt is empty: pass a non-empty string or a list of messages.");
    out.push(
      images?.length ? { role: "user", content: input, images } : { role: "user", content: input },
    );
    return out;
  }
  if (!Array.isArray(input)) throw bad("Input must be a string or an array of messages.");
  if (input.length === 0) throw bad("The message list is empty: pass at least one message.");
  input.forEach((m: Message, i: number) => {
    if (!m || typeof m !== "object")
      throw bad(`messages[${i}] must be an object { role, content }.`);
    if (!ROLES.has(m.role))
      throw bad(
        `messages[${i}].role must be one of system, user, assistant, tool; got ${JSON.stringify(m.role)}.`,
      );
    if (typeof m.content !== "string")
      throw bad(`messages[${i}].content must be a string; got ${typeof m.content}.`);
    if (m.name !== undefined && typeof m.name !== "string")
      throw bad(`messages[${i}].name must be a string; got ${typeof m.name}.`);
    if (m.images !== undefined) checkImages(m.images, `messages[${i}].images`);
    checkToolFields(m, i);
    out.push(m);
  });
  if (images?.length) {
    let idx = -1;
    for (let i = out.length - 1; i >= 0; i--) {
      if (out[i]!.role === "user") {
        idx = i;
        break;
      }
    }
    if (idx < 0) throw bad("options.images needs a user message to attach to.");
    const target = out[idx]!;
    out[idx] = { ...target, images: [...(target.images ?? []), ...images] };
  }
  return out;
}

/** Checks the tool fields of one message: tool calls on assistant turns, ids on tool results. */
function checkToolFields(m: Message, i: number): void {
  const at = `messages[${i}]`;
  if (m.role === "tool") {
    if (typeof m.toolCallId !== "string" || m.toolCallId === "")
      throw bad(
        `${at} is a tool result and needs toolCallId, the id of the call it answers: { role: "tool", toolCallId, content }.`,
      );
    if (m.isError !== undefined && typeof m.isError !== "boolean")
      throw bad(`${at}.isError must be a boolean.`);
  } else if (m.toolCallId !== undefined || m.isError !== undefined) {
    throw bad(`${at}: toolCallId and isError belong on tool messages (role "tool") only.`);
  }
  if (m.reasoning !== undefined && typeof m.reasoning !== "string")
    throw bad(`${at}.reasoning must be a string.`);
  if (
    m.providerMetadata !== undefined &&
    (m.providerMetadata === null ||
      typeof m.providerMetadata !== "object" ||
      Array.isArray(m.providerMetadata))
  )
    throw bad(`${at}.providerMetadata must be an object keyed by provider id.`);
  if (m.toolCalls === undefined) return;
  if (m.role !== "assistant")
    throw bad(`${at}: toolCalls belong on assistant messages only; got role ${m.role}.`);
  if (!Array.isArray(m.toolCalls)) throw bad(`${at}.toolCalls must be an array.`);
  m.toolCalls.forEach((c, j) => {
    const where = `${at}.toolCalls[${j}]`;
    if (!c || typeof c !== "object")
      throw bad(`${where} must be an object { id, name, arguments }.`);
    if (typeof c.id !== "string" || c.id === "")
      throw bad(`${where}.id must be a non-empty string.`);
    if (typeof c.name !== "string" || c.name === "")
      throw bad(`${where}.name must be a non-empty string.`);
    if (c.rawArguments !== undefined && typeof c.rawArguments !== "string")
      throw bad(`${where}.rawArguments must be a string of JSON.`);
  });
}

function checkImages(images: unknown, where: string): void {
  if (!Array.isArray(images)) {
    throw bad(
      `${where} must be an array of images; got ${typeof images === "string" ? "a string (wrap a single image in [ ])" : typeof images}.`,
    );
  }
  for (let i = 0; i < images.length; i++) validateImage(images[i], `${where}[${i}]`);
}

/**
 * Checks that `providerOptions` is JSON data: plain objects, arrays, strings, finite numbers,
 * booleans and null (`undefined` fields are left out, as in a request body). A BigInt, a
 * function, a symbol, a class instance, a non-finite number or a cycle would fail later or be
 * dropped silently; it fails here instead.
 */
export function validateProviderOptions(value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw bad("providerOptions must be a plain object of JSON values.");
  const stack = new Set<object>();
  const walk = (v: unknown, path: string): void => {
    switch (typeof v) {
      case "string":
      case "boolean":
      case "undefined":
        return;
      case "number":
        if (!Number.isFinite(v)) throw bad(`${path} must be a finite number; got ${v}.`);
        return;
      case "object": {
        if (v === null) return;
        const proto = Object.getPrototypeOf(v);
        const isArray = Array.isArray(v);
        if (!isArray && proto !== Object.prototype && proto !== null)
          throw bad(
            `${path} must be JSON data; got an instance of ${proto?.constructor?.name ?? "a class"}.`,
          );
        if (stack.has(v))
          throw bad(`${path} refers back to itself (a cycle); it cannot be sent as JSON.`);
        stack.add(v);
        if (isArray) for (let i = 0; i < v.length; i++) walk(v[i], `${path}[${i}]`);
        else
          for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], `${path}.${k}`);
        stack.delete(v);
        return;
      }
      default:
        throw bad(`${path} must be JSON data; got a ${typeof v}.`);
    }
  };
  walk(value, "providerOptions");
}

/** Checks generation parameters, so that a typo fails here with a clear message, not upstream. */
export function validateParams(p: {
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  topP?: number | undefined;
  stop?: readonly string[] | undefined;
}): void {
  if (
    p.temperature !== undefined &&
    (typeof p.temperature !== "number" || !Number.isFinite(p.temperature) || p.temperature < 0)
  ) {
    throw bad(`temperature must be a number >= 0; got ${String(p.temperature)}.`);
  }
  if (p.maxTokens !== undefined && (!Number.isInteger(p.maxTokens) || p.maxTokens < 1)) {
    throw bad(`maxTokens must be a positive integer; got ${String(p.maxTokens)}.`);
  }
  if (p.topP !== undefined && (typeof p.topP !== "number" || !(p.topP >= 0 && p.topP <= 1))) {
    throw bad(`topP must be a number between 0 and 1; got ${String(p.topP)}.`);
  }
  if (
    p.stop !== undefined &&
    (!Array.isArray(p.stop) || p.stop.some((s) => typeof s !== "string"))
  ) {
    throw bad("stop must be an array of strings.");
  }
}

/**
 * Checks a timeout option: undefined or a positive finite number of milliseconds. Per-call
 * options fail with {@link InvalidRequestError}, client options with `ConfigurationError`; a
 * timer (`timer`, the default) above 2^31-1 ms always with `ConfigurationError`.
 */
export function validateTimeout(
  name: string,
  value: number | undefined,
  ErrorClass: typeof RephyscoError = InvalidRequestError,
  timer = true,
): void {
  if (timer && typeof value === "number" && value > MAX_TIMEOUT_MS && Number.isFinite(value)) {
    // Node arms a longer timer as 1 ms: the call would time out at once.
    throw new ConfigurationError(
      `${name} must be at most ${MAX_TIMEOUT_MS} ms (about 24.8 days), the longest timer Node can arm; got ${value}. Leave it unset for no limit.`,
      { provider: "client", reason: "invalid_option" },
    );
  }
  if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value <= 0)) {
    throw new ErrorClass(
      `${name} must be a positive number of milliseconds; got ${String(value)}.`,
      {
        provider: "client",
        reason: "invalid_option",
      },
    );
  }
}

/** Checks `maxResponseBytes`: undefined or a positive integer. */
export function validateMaxResponseBytes(
  value: number | undefined,
  ErrorClass: typeof RephyscoError,
): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    throw new ErrorClass(`maxResponseBytes must be a positive integer; got ${String(value)}.`, {
      provider: "client",
      reason: "invalid_option",
    });
  }
}

/** Checks `tags`: an array of non-empty strings of at most 128 characters, without line breaks. */
export function validateTags(
  tags: unknown,
  ErrorClass: typeof InvalidRequestError | typeof ConfigurationError = InvalidRequestError,
): readonly string[] | undefined {
  if (tags === undefined) return undefined;
  if (!Array.isArray(tags))
    throw new ErrorClass('tags must be an array of strings: ["team-a", "search"].', {
      provider: "client",
      reason: "invalid_option",
    });
  for (const t of tags)
    if (typeof t !== "string" || t === "" || t.length > 128 || /[\r\n\0]/.test(t))
      throw new ErrorClass(
        `each tag must be a non-empty string of at most 128 characters without line breaks; got ${JSON.stringify(t)?.slice(0, 80)}.`,
        { provider: "client", reason: "invalid_option" },
      );
  return tags as readonly string[];
}

/** The client's tags then the call's, without repeats; `undefined` when there are none. */
export function mergeTags(
  client: readonly string[] | undefined,
  call: readonly string[] | undefined,
): readonly string[] | undefined {
  if (!call?.length) return client?.length ? client : undefined;
  if (!client?.length) return call;
  return [...new Set([...client, ...call])];
}
