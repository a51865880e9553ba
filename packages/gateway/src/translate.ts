import {
  type GenerateOptions,
  type ImageInput,
  type JsonSchema,
  jsonSchema,
  type Message,
  type ResponseFormat,
  type Tool,
  type ToolCall,
} from "@rephysco/core";
import { isRecord } from "./config.js";
import { badRequest, type HttpError, unsupported } from "./errors.js";

/** One chat completion request, translated for core. */
export interface ChatPlan {
  /** The `model` the client sent (routing happens later). */
  readonly model: string;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly messages: Message[];
  /** Generation options (no model, no signal: the router and server add those). */
  readonly options: {
    temperature?: number;
    topP?: number;
    maxTokens?: number;
    stop?: readonly string[];
    tools?: Record<string, Tool>;
    toolChoice?: GenerateOptions["toolChoice"];
  };
  readonly responseFormat?: ResponseFormat;
}

/**
 * Parameters OpenAI defines that the gateway cannot honour (yet): a 400 naming them, never
 * silently dropped. A few are accepted at their neutral value, which changes nothing.
 */
const UNSUPPORTED: Readonly<Record<string, (v: unknown) => boolean>> = {
  seed: () => false,
  logprobs: (v) => v === false,
  top_logprobs: () => false,
  presence_penalty: (v) => v === 0,
  frequency_penalty: (v) => v === 0,
  logit_bias: (v) => typeof v === "object" && v !== null && Object.keys(v).length === 0,
  audio: () => false,
  modalities: (v) => Array.isArray(v) && v.length === 1 && v[0] === "text",
  prediction: () => false,
  service_tier: (v) => v === "auto" || v === "default",
  store: (v) => v === false,
  reasoning_effort: () => false,
  metadata: () => false,
  functions: () => false,
  function_call: () => false,
  web_search_options: () => false,
  verbosity: () => false,
  prompt_cache_retention: () => false,
};

/**
 * Parameters the gateway takes. `user`, `safety_identifier` and `prompt_cache_key` are accepted
 * (type-checked) and not sent upstream: they only identify the end user or hint at a cache
 * key, and change nothing in the answer.
 */
const KNOWN = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "n",
  "user",
  "safety_identifier",
  "prompt_cache_key",
]);

function num(v: unknown, param: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
    throw badRequest(
      `Invalid '${param}': expected a number from ${min} to ${max}.`,
      param,
      "invalid_value",
    );
  return v;
}

function int(v: unknown, param: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1)
    throw badRequest(`Invalid '${param}': expected a positive integer.`, param, "invalid_value");
  return v;
}

function str(v: unknown, param: string): string {
  if (typeof v !== "string")
    throw badRequest(`Invalid type for '${param}': expected a string.`, param, "invalid_type");
  return v;
}

/**
 * Keys OpenAI defines that the gateway takes on a nested object, and keys it knows but cannot
 * honour (accepted only at a neutral value: absent, null, or an empty array).
 */
interface Shape {
  readonly known: ReadonlySet<string>;
  readonly unsupported?: ReadonlySet<string>;
}

const shape = (known: string[], unsupportedKeys: string[] = []): Shape => ({
  known: new Set(known),
  unsupported: new Set(unsupportedKeys),
});

const SHAPES = {
  system: shape(["role", "content", "name"]),
  user: shape(["role", "content", "name"]),
  assistant: shape(
    ["role", "content", "name", "tool_calls", "refusal"],
    ["audio", "function_call", "reasoning_content", "reasoning", "annotations"],
  ),
  tool: shape(["role", "content", "tool_call_id"]),
  textPart: shape(["type", "text"], ["cache_control"]),
  refusalPart: shape(["type", "refusal"]),
  imagePart: shape(["type", "image_url"], ["cache_control"]),
  tool_: shape(["type", "function"], ["cache_control"]),
  toolCall: shape(["id", "type", "function"]),
  toolCallFunction: shape(["name", "arguments"]),
  toolChoice: shape(["type", "function"]),
  toolChoiceFunction: shape(["name"]),
  plainFormat: shape(["type"]),
  schemaFormat: shape(["type", "json_schema"]),
  imageUrl: shape(["url", "detail"]),
  toolFunction: shape(["name", "description", "parameters", "strict"]),
  jsonSchema: shape(["name", "schema", "strict", "description"]),
} as const;

/** The 400 for a nested object that is absent or not an object. */
function missing(param: string): HttpError {
  return badRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
}

/** Refuses a key of `obj` the gateway does not take (400 naming `param.key`). */
function checkKeys(obj: Record<string, unknown>, s: Shape, param: string): void {
  for (const k in obj) {
    if (s.known.has(k)) continue;
    const v = obj[k];
    if (s.unsupported?.has(k)) {
      if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
      throw unsupported(`${param}.${k}`);
    }
    throw badRequest(
      `Unrecognized parameter: '${param}.${k}'.`,
      `${param}.${k}`,
      "unknown_parameter",
    );
  }
}

/** Text of a content that is a string or an array of text parts (system, developer, tool, assistant). */
function textOf(content: unknown, param: string, allowRefusal = false): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content))
    throw badRequest(
      `Invalid type for '${param}': expected a string or an array of content parts.`,
      param,
      "invalid_type",
    );
  let text = "";
  content.forEach((part, i) => {
    const p = `${param}[${i}]`;
    if (!isRecord(part)) throw badRequest(`Invalid '${p}': expected an object.`, p, "invalid_type");
    if (part.type === "text") {
      checkKeys(part, SHAPES.textPart, p);
      text += str(part.text, `${p}.text`);
    } else if (allowRefusal && part.type === "refusal") {
      checkKeys(part, SHAPES.refusalPart, p);
      text += str(part.refusal, `${p}.refusal`);
    } else
      throw badRequest(
        `Invalid '${p}.type': ${JSON.stringify(part.type)} is not supported here.`,
        `${p}.type`,
        "invalid_value",
      );
  });
  return text;
}

function userMessage(m: Record<string, unknown>, param: string): Message {
  const content = m.content;
  checkKeys(m, SHAPES.user, param);
  const name = m.name === undefined || m.name === null ? undefined : str(m.name, `${param}.name`);
  if (typeof content === "string") return { role: "user", content, ...(name && { name }) };
  if (!Array.isArray(content))
    throw badRequest(
      `Invalid type for '${param}.content': expected a string or an array of content parts.`,
      `${param}.content`,
      "invalid_type",
    );
  if (content.length === 0)
    throw badRequest(
      `Invalid '${param}.content': empty array. Expected a string or an array with at least one content part.`,
      `${param}.content`,
      "empty_array",
    );
  const texts: string[] = [];
  const images: ImageInput[] = [];
  content.forEach((part, i) => {
    const p = `${param}.content[${i}]`;
    if (!isRecord(part)) throw badRequest(`Invalid '${p}': expected an object.`, p, "invalid_type");
    if (part.type === "text") {
      checkKeys(part, SHAPES.textPart, p);
      // Core carries a user message as text plus images: text after an image would move.
      if (images.length > 0)
        throw badRequest(
          `Invalid '${p}': a text part after an image part is not supported (the gateway sends the text first, then the images); put the text parts before the images.`,
          p,
          "unsupported_content_order",
        );
      texts.push(str(part.text, `${p}.text`));
    } else if (part.type === "image_url") {
      checkKeys(part, SHAPES.imagePart, p);
      const iu = part.image_url;
      if (!isRecord(iu)) throw missing(`${p}.image_url`);
      checkKeys(iu, SHAPES.imageUrl, `${p}.image_url`);
      if (iu.detail !== undefined && iu.detail !== null && iu.detail !== "auto")
        throw unsupported(
          `${p}.image_url.detail`,
          `only "auto" (the provider decides); got ${JSON.stringify(iu.detail)}`,
        );
      images.push(str(iu.url, `${p}.image_url.url`));
    } else
      throw unsupported(
        `${p}.type`,
        `content parts of type ${JSON.stringify(part.type)} are not supported`,
      );
  });
  return {
    role: "user",
    content: texts.join("\n"),
    ...(images.length > 0 && { images }),
    ...(name && { name }),
  };
}

function assistantMessage(m: Record<string, unknown>, param: string): Message {
  checkKeys(m, SHAPES.assistant, param);
  if (m.refusal !== undefined && m.refusal !== null) str(m.refusal, `${param}.refusal`);
  let content = textOf(m.content, `${param}.content`, true);
  if (!content && typeof m.refusal === "string") content = m.refusal;
  const name = m.name === undefined || m.name === null ? undefined : str(m.name, `${param}.name`);
  let toolCalls: ToolCall[] | undefined;
  if (m.tool_calls !== undefined && m.tool_calls !== null) {
    if (!Array.isArray(m.tool_calls))
      throw badRequest(
        `Invalid type for '${param}.tool_calls': expected an array.`,
        `${param}.tool_calls`,
        "invalid_type",
      );
    toolCalls = m.tool_calls.map((c, i) => {
      const p = `${param}.tool_calls[${i}]`;
      if (!isRecord(c) || !isRecord(c.function))
        throw badRequest(
          `Invalid '${p}': expected { id, type: "function", function: { name, arguments } }.`,
          p,
          "invalid_type",
        );
      checkKeys(c, SHAPES.toolCall, p);
      checkKeys(c.function, SHAPES.toolCallFunction, `${p}.function`);
      if (c.type !== undefined && c.type !== "function")
        throw unsupported(`${p}.type`, `only "function" tool calls are supported`);
      const raw = str(c.function.arguments, `${p}.function.arguments`);
      let args: unknown = raw;
      try {
        args = raw === "" ? {} : JSON.parse(raw);
      } catch {
        // Sent as the client wrote it; the provider normalizes what it must.
      }
      return {
        id: str(c.id, `${p}.id`),
        name: str(c.function.name, `${p}.function.name`),
        arguments: args,
        rawArguments: raw,
      };
    });
  }
  return {
    role: "assistant",
    content,
    ...(toolCalls && toolCalls.length > 0 && { toolCalls }),
    ...(name && { name }),
  };
}

function toMessages(value: unknown): Message[] {
  if (!Array.isArray(value) || value.length === 0)
    throw badRequest(
      Array.isArray(value)
        ? "Invalid 'messages': empty array. Expected an array with minimum length 1."
        : "Missing required parameter: 'messages'.",
      "messages",
      Array.isArray(value) ? "empty_array" : "missing_required_parameter",
    );
  return value.map((m, i): Message => {
    const param = `messages[${i}]`;
    if (!isRecord(m)) throw badRequest(`Invalid '${param}': expected an object.`, param);
    switch (m.role) {
      case "system":
      case "developer": {
        checkKeys(m, SHAPES.system, param);
        const name =
          m.name === undefined || m.name === null ? undefined : str(m.name, `${param}.name`);
        return {
          role: "system",
          content: textOf(m.content, `${param}.content`),
          ...(name && { name }),
        };
      }
      case "user":
        return userMessage(m, param);
      case "assistant":
        return assistantMessage(m, param);
      case "tool":
        checkKeys(m, SHAPES.tool, param);
        return {
          role: "tool",
          toolCallId: str(m.tool_call_id, `${param}.tool_call_id`),
          content: textOf(m.content, `${param}.content`),
        };
      default:
        if (m.role === "function") throw unsupported(`${param}.role`, `use "tool" messages`);
        throw badRequest(
          `Invalid value for '${param}.role': ${JSON.stringify(m.role)}. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.`,
          `${param}.role`,
          "invalid_value",
        );
    }
  });
}

function toTools(value: unknown): Record<string, Tool> {
  if (!Array.isArray(value))
    throw badRequest("Invalid type for 'tools': expected an array.", "tools", "invalid_type");
  const tools: Record<string, Tool> = {};
  value.forEach((t, i) => {
    const p = `tools[${i}]`;
    if (!isRecord(t)) throw badRequest(`Invalid '${p}': expected an object.`, p, "invalid_type");
    if (t.type !== "function")
      throw unsupported(`${p}.type`, `only "function" tools; got ${JSON.stringify(t.type)}`);
    checkKeys(t, SHAPES.tool_, p);
    const f = t.function;
    if (!isRecord(f)) throw missing(`${p}.function`);
    checkKeys(f, SHAPES.toolFunction, `${p}.function`);
    const name = str(f.name, `${p}.function.name`);
    if (tools[name])
      throw badRequest(`Duplicate tool name: '${name}'.`, `${p}.function.name`, "invalid_value");
    const parameters =
      f.parameters === undefined || f.parameters === null
        ? { type: "object", properties: {} }
        : f.parameters;
    if (!isRecord(parameters))
      throw badRequest(
        `Invalid type for '${p}.function.parameters': expected a JSON Schema object.`,
        `${p}.function.parameters`,
        "invalid_type",
      );
    const description =
      f.description === undefined || f.description === null
        ? undefined
        : str(f.description, `${p}.function.description`);
    if (f.strict !== undefined && f.strict !== null && typeof f.strict !== "boolean")
      throw badRequest(
        `Invalid type for '${p}.function.strict': expected a boolean.`,
        `${p}.function.strict`,
        "invalid_type",
      );
    tools[name] = {
      parameters: jsonSchema(parameters as JsonSchema),
      ...(description !== undefined && { description }),
      ...(typeof f.strict === "boolean" && { strict: f.strict }),
    };
  });
  return tools;
}

function toToolChoice(value: unknown): GenerateOptions["toolChoice"] {
  if (value === "auto" || value === "none" || value === "required") return value;
  if (isRecord(value) && value.type === "function" && isRecord(value.function)) {
    checkKeys(value, SHAPES.toolChoice, "tool_choice");
    checkKeys(value.function, SHAPES.toolChoiceFunction, "tool_choice.function");
    return { name: str(value.function.name, "tool_choice.function.name") };
  }
  throw badRequest(
    `Invalid value for 'tool_choice': expected "auto", "none", "required" or { type: "function", function: { name } }.`,
    "tool_choice",
    "invalid_value",
  );
}

function toResponseFormat(value: unknown): ResponseFormat | undefined {
  if (!isRecord(value))
    throw badRequest(
      "Invalid type for 'response_format': expected an object.",
      "response_format",
      "invalid_type",
    );
  switch (value.type) {
    case "text":
      checkKeys(value, SHAPES.plainFormat, "response_format");
      return undefined;
    case "json_object":
      checkKeys(value, SHAPES.plainFormat, "response_format");
      return { type: "json" };
    case "json_schema": {
      checkKeys(value, SHAPES.schemaFormat, "response_format");
      const js = value.json_schema;
      if (!isRecord(js)) throw missing("response_format.json_schema");
      checkKeys(js, SHAPES.jsonSchema, "response_format.json_schema");
      const name = str(js.name, "response_format.json_schema.name");
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name))
        throw badRequest(
          "Invalid 'response_format.json_schema.name': 1 to 64 of a-z, A-Z, 0-9, _ and -.",
          "response_format.json_schema.name",
          "invalid_value",
        );
      if (js.schema !== undefined && !isRecord(js.schema))
        throw badRequest(
          "Invalid type for 'response_format.json_schema.schema': expected an object.",
          "response_format.json_schema.schema",
          "invalid_type",
        );
      if (js.strict !== undefined && js.strict !== null && typeof js.strict !== "boolean")
        throw badRequest(
          "Invalid type for 'response_format.json_schema.strict': expected a boolean.",
          "response_format.json_schema.strict",
          "invalid_type",
        );
      // The provider decides strictness from the schema (OpenAI: strict when the schema
      // qualifies); a client asking for non-strict output would silently get strict output.
      if (js.strict === false)
        throw unsupported(
          "response_format.json_schema.strict",
          "only true or absent (the provider decides strictness from the schema)",
        );
      const description =
        js.description === undefined
          ? undefined
          : str(js.description, "response_format.json_schema.description");
      return {
        type: "json",
        name,
        ...(js.schema !== undefined && { schema: js.schema as JsonSchema }),
        ...(description !== undefined && { description }),
      };
    }
    default:
      throw badRequest(
        `Invalid value for 'response_format.type': ${JSON.stringify(value.type)}. Supported values are: 'text', 'json_object' and 'json_schema'.`,
        "response_format.type",
        "invalid_value",
      );
  }
}

/**
 * Checks an OpenAI Chat Completions request body and translates it for core. Every parameter
 * is either honoured or refused with a 400 naming it.
 *
 * @throws {HttpError} 400 with `param` set.
 */
export function translateRequest(body: unknown): ChatPlan {
  if (!isRecord(body))
    throw badRequest("The request body must be a JSON object.", null, "invalid_body");
  for (const key of Object.keys(body)) {
    if (KNOWN.has(key)) continue;
    const check = UNSUPPORTED[key];
    const v = body[key];
    if (check) {
      if (v === null || v === undefined || check(v)) continue;
      throw unsupported(key);
    }
    throw badRequest(`Unrecognized request argument supplied: ${key}`, key, "unknown_parameter");
  }
  const b = body as Record<string, unknown>;
  const model = b.model;
  if (typeof model !== "string" || model === "")
    throw badRequest(
      "Missing required parameter: 'model'.",
      "model",
      typeof model === "undefined" ? "missing_required_parameter" : "invalid_type",
    );
  const messages = toMessages(b.messages);
  const stream = b.stream === true;
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== "boolean")
    throw badRequest("Invalid type for 'stream': expected a boolean.", "stream", "invalid_type");
  let includeUsage = false;
  if (b.stream_options !== undefined && b.stream_options !== null) {
    const so = b.stream_options;
    if (!isRecord(so))
      throw badRequest(
        "Invalid type for 'stream_options': expected an object.",
        "stream_options",
        "invalid_type",
      );
    if (!stream)
      throw badRequest(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "stream_options",
        "invalid_value",
      );
    for (const [k, v] of Object.entries(so)) {
      if (k === "include_usage") {
        if (v !== undefined && v !== null && typeof v !== "boolean")
          throw badRequest(
            "Invalid type for 'stream_options.include_usage': expected a boolean.",
            "stream_options.include_usage",
            "invalid_type",
          );
        includeUsage = v === true;
      } else if (k === "include_obfuscation") {
        if (v === true) throw unsupported("stream_options.include_obfuscation");
      } else
        throw badRequest(
          `Unrecognized parameter: 'stream_options.${k}'.`,
          `stream_options.${k}`,
          "unknown_parameter",
        );
    }
  }
  if (b.n !== undefined && b.n !== null && b.n !== 1)
    throw unsupported("n", "only n: 1 (one choice per request)");
  for (const k of ["user", "safety_identifier", "prompt_cache_key"] as const)
    if (b[k] !== undefined && b[k] !== null) str(b[k], k);
  const options: ChatPlan["options"] = {};
  if (b.temperature !== undefined && b.temperature !== null)
    options.temperature = num(b.temperature, "temperature", 0, 2);
  if (b.top_p !== undefined && b.top_p !== null) options.topP = num(b.top_p, "top_p", 0, 1);
  const maxTokens =
    b.max_completion_tokens !== undefined && b.max_completion_tokens !== null
      ? int(b.max_completion_tokens, "max_completion_tokens")
      : undefined;
  const legacyMax =
    b.max_tokens !== undefined && b.max_tokens !== null
      ? int(b.max_tokens, "max_tokens")
      : undefined;
  if (maxTokens !== undefined && legacyMax !== undefined && maxTokens !== legacyMax)
    throw badRequest(
      "Set either 'max_tokens' or 'max_completion_tokens', not both.",
      "max_tokens",
      "invalid_value",
    );
  if ((maxTokens ?? legacyMax) !== undefined)
    options.maxTokens = (maxTokens ?? legacyMax) as number;
  if (b.stop !== undefined && b.stop !== null) {
    if (typeof b.stop === "string") options.stop = [b.stop];
    else if (Array.isArray(b.stop) && b.stop.every((s) => typeof s === "string"))
      options.stop = b.stop as string[];
    else
      throw badRequest(
        "Invalid type for 'stop': expected a string or an array of strings.",
        "stop",
        "invalid_type",
      );
  }
  const hasTools = b.tools !== undefined && b.tools !== null;
  if (hasTools) {
    const tools = toTools(b.tools);
    if (Object.keys(tools).length > 0) options.tools = tools;
  }
  if (b.tool_choice !== undefined && b.tool_choice !== null) {
    if (!options.tools)
      throw badRequest(
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        "tool_choice",
        "invalid_value",
      );
    options.toolChoice = toToolChoice(b.tool_choice);
  }
  if (b.parallel_tool_calls !== undefined && b.parallel_tool_calls !== null) {
    if (typeof b.parallel_tool_calls !== "boolean")
      throw badRequest(
        "Invalid type for 'parallel_tool_calls': expected a boolean.",
        "parallel_tool_calls",
        "invalid_type",
      );
    if (!b.parallel_tool_calls)
      throw unsupported("parallel_tool_calls", "only true (the provider's default)");
  }
  const responseFormat =
    b.response_format === undefined || b.response_format === null
      ? undefined
      : toResponseFormat(b.response_format);
  return {
    model,
    stream,
    includeUsage,
    messages,
    options,
    ...(responseFormat && { responseFormat }),
  };
}
