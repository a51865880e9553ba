import type { ConformanceDialect } from "./conformance-options.js";

/** An image found in a recorded request. */
export interface WireImage {
  /** Inline base64 bytes (without a `data:` prefix), when sent inline. */
  readonly base64?: string;
  /** Media type, when sent inline. */
  readonly mediaType?: string;
  /** The URL, when sent by reference. */
  readonly url?: string;
}

/** One conversation turn as it appeared on the wire. */
export interface WireTurn {
  readonly role: "user" | "assistant";
  readonly text: string;
  readonly images: readonly WireImage[];
}

/** A request body reduced to what every dialect has: system text and turns. */
export interface WireConversation {
  readonly system: string;
  readonly turns: readonly WireTurn[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function fromDataUrl(url: string): WireImage {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!, base64: m[2]! } : { url };
}

function openaiParts(content: unknown): { text: string; images: WireImage[] } {
  if (typeof content === "string") return { text: content, images: [] };
  const texts: string[] = [];
  const images: WireImage[] = [];
  for (const part of list(content)) {
    if (!isObj(part)) continue;
    if (typeof part.text === "string") texts.push(part.text);
    const imageUrl = part.image_url;
    const url = isObj(imageUrl) ? imageUrl.url : imageUrl;
    if (typeof url === "string") images.push(fromDataUrl(url));
  }
  return { text: texts.join("\n"), images };
}

function anthropicParts(content: unknown): { text: string; images: WireImage[] } {
  if (typeof content === "string") return { text: content, images: [] };
  const texts: string[] = [];
  const images: WireImage[] = [];
  for (const block of list(content)) {
    if (!isObj(block)) continue;
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    if (block.type === "image" && isObj(block.source)) {
      const s = block.source;
      if (s.type === "base64")
        images.push({ base64: String(s.data), mediaType: String(s.media_type) });
      else if (s.type === "url") images.push({ url: String(s.url) });
    }
  }
  return { text: texts.join("\n"), images };
}

function geminiParts(parts: unknown): { text: string; images: WireImage[] } {
  const texts: string[] = [];
  const images: WireImage[] = [];
  for (const part of list(parts)) {
    if (!isObj(part)) continue;
    if (part.thought === true) continue;
    if (typeof part.text === "string") texts.push(part.text);
    if (isObj(part.inlineData)) {
      images.push({
        base64: String(part.inlineData.data),
        mediaType: String(part.inlineData.mimeType),
      });
    }
    if (isObj(part.fileData)) images.push({ url: String(part.fileData.fileUri) });
  }
  return { text: texts.join("\n"), images };
}

/**
 * Reads the system text and the user/assistant turns out of a recorded request body, whatever
 * the dialect: OpenAI `messages` (system role), Anthropic top-level `system` + `messages`,
 * Gemini `systemInstruction` + `contents` (role `model` is the assistant).
 */
export function readConversation(dialect: ConformanceDialect, body: unknown): WireConversation {
  const b = isObj(body) ? body : {};
  const system: string[] = [];
  const turns: WireTurn[] = [];
  if (dialect === "gemini") {
    const si = b.systemInstruction ?? b.system_instruction;
    if (typeof si === "string") system.push(si);
    else if (isObj(si)) system.push(geminiParts(si.parts).text);
    for (const c of list(b.contents)) {
      if (!isObj(c)) continue;
      const { text, images } = geminiParts(c.parts);
      turns.push({ role: c.role === "model" ? "assistant" : "user", text, images });
    }
  } else if (dialect === "anthropic") {
    if (typeof b.system === "string") system.push(b.system);
    else system.push(anthropicParts(b.system).text);
    for (const m of list(b.messages)) {
      if (!isObj(m)) continue;
      const { text, images } = anthropicParts(m.content);
      turns.push({ role: m.role === "assistant" ? "assistant" : "user", text, images });
    }
  } else {
    for (const m of list(b.messages)) {
      if (!isObj(m)) continue;
      const { text, images } = openaiParts(m.content);
      if (m.role === "system" || m.role === "developer") system.push(text);
      else turns.push({ role: m.role === "assistant" ? "assistant" : "user", text, images });
    }
  }
  return { system: system.filter(Boolean).join("\n"), turns };
}

/** A tool declared in a recorded request. */
export interface WireTool {
  readonly name: string;
  readonly description?: string;
  /** The JSON Schema of its arguments (OpenAI `parameters`, Anthropic `input_schema`, Gemini `parametersJsonSchema` or `parameters`). */
  readonly parameters: unknown;
}

/** A tool call of an assistant turn in a recorded request's history. */
export interface WireToolCall {
  /** The call id, when the dialect sent one (Gemini sends its own ids only). */
  readonly id?: string;
  readonly name: string;
  /** The arguments as an object (OpenAI's JSON text parsed; `undefined` when it does not parse). */
  readonly arguments: unknown;
  /** The arguments exactly as sent: JSON text (OpenAI) or the object serialized (Anthropic, Gemini). */
  readonly rawArguments: string;
  /** Gemini: the part's `thoughtSignature`. */
  readonly thoughtSignature?: string;
}

/** A tool result in a recorded request's history. */
export interface WireToolResult {
  /** The id of the call it answers (OpenAI `tool_call_id`, Anthropic `tool_use_id`, Gemini `functionResponse.id` when sent). */
  readonly id?: string;
  /** Gemini: the tool's name (`functionResponse.name`). */
  readonly name?: string;
  /** The result as text: OpenAI/Anthropic content text, Gemini's `response` object serialized. */
  readonly content: string;
  /** The dialect's error flag (Anthropic `is_error`, Gemini an `error` response); `undefined` where the dialect has none (OpenAI). */
  readonly isError?: boolean;
}

/** How a recorded request asked for a JSON answer. */
export interface WireJsonRequest {
  /** `schema`: with a JSON Schema (OpenAI `json_schema`, Anthropic `output_config.format`, Gemini `responseJsonSchema`); `object`: any JSON object. */
  readonly mode: "schema" | "object";
  readonly schema?: unknown;
}

/** The tool and structured-output parts of a recorded request, whatever the dialect. */
export interface WireToolRequest {
  /** Declared tools, in order. */
  readonly tools: readonly WireTool[];
  /** The tool choice, normalized (`undefined` when none was sent). */
  readonly toolChoice?: "auto" | "none" | "required" | { readonly name: string };
  /** Tool calls of the assistant turns in the history, in order. */
  readonly calls: readonly WireToolCall[];
  /** Tool results in the history, in order. */
  readonly results: readonly WireToolResult[];
  /** The JSON answer asked for, if any. A forced tool (Anthropic's fallback) shows as `toolChoice` instead. */
  readonly json?: WireJsonRequest;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function openaiTools(b: Obj): WireToolRequest {
  const tools: WireTool[] = [];
  for (const t of list(b.tools)) {
    if (!isObj(t) || !isObj(t.function)) continue;
    const f = t.function;
    tools.push({
      name: String(f.name),
      ...(typeof f.description === "string" && { description: f.description }),
      parameters: f.parameters,
    });
  }
  const calls: WireToolCall[] = [];
  const results: WireToolResult[] = [];
  for (const m of list(b.messages)) {
    if (!isObj(m)) continue;
    if (m.role === "assistant") {
      for (const c of list(m.tool_calls)) {
        if (!isObj(c) || !isObj(c.function)) continue;
        const raw = String(c.function.arguments ?? "");
        calls.push({
          ...(str(c.id) && { id: str(c.id)! }),
          name: String(c.function.name),
          arguments: parsed(raw),
          rawArguments: raw,
        });
      }
    } else if (m.role === "tool") {
      results.push({
        ...(str(m.tool_call_id) && { id: str(m.tool_call_id)! }),
        content: openaiParts(m.content).text,
      });
    }
  }
  const c = b.tool_choice;
  const toolChoice =
    c === "auto" || c === "none" || c === "required"
      ? c
      : isObj(c) && isObj(c.function) && typeof c.function.name === "string"
        ? { name: c.function.name }
        : undefined;
  const rf = isObj(b.response_format) ? b.response_format : undefined;
  const json: WireJsonRequest | undefined =
    rf?.type === "json_schema" && isObj(rf.json_schema)
      ? { mode: "schema", schema: rf.json_schema.schema }
      : rf?.type === "json_object"
        ? { mode: "object" }
        : undefined;
  return { tools, ...(toolChoice && { toolChoice }), calls, results, ...(json && { json }) };
}

function anthropicTools(b: Obj): WireToolRequest {
  const tools: WireTool[] = [];
  for (const t of list(b.tools)) {
    if (!isObj(t) || typeof t.name !== "string") continue;
    tools.push({
      name: t.name,
      ...(typeof t.description === "string" && { description: t.description }),
      parameters: t.input_schema,
    });
  }
  const calls: WireToolCall[] = [];
  const results: WireToolResult[] = [];
  for (const m of list(b.messages)) {
    if (!isObj(m)) continue;
    for (const block of list(m.content)) {
      if (!isObj(block)) continue;
      if (block.type === "tool_use" && m.role === "assistant") {
        calls.push({
          ...(str(block.id) && { id: str(block.id)! }),
          name: String(block.name),
          arguments: block.input,
          rawArguments: JSON.stringify(block.input),
        });
      } else if (block.type === "tool_result" && m.role === "user") {
        results.push({
          ...(str(block.tool_use_id) && { id: str(block.tool_use_id)! }),
          content: anthropicParts(block.content).text,
          isError: block.is_error === true,
        });
      }
    }
  }
  const c = isObj(b.tool_choice) ? b.tool_choice : undefined;
  const toolChoice =
    c?.type === "auto" || c?.type === "none"
      ? c.type
      : c?.type === "any"
        ? "required"
        : c?.type === "tool" && typeof c.name === "string"
          ? { name: c.name }
          : undefined;
  const format =
    isObj(b.output_config) && isObj(b.output_config.format) ? b.output_config.format : undefined;
  const json: WireJsonRequest | undefined =
    format?.type === "json_schema" ? { mode: "schema", schema: format.schema } : undefined;
  return {
    tools,
    ...(toolChoice && { toolChoice: toolChoice as WireToolRequest["toolChoice"] }),
    calls,
    results,
    ...(json && { json }),
  };
}

function geminiTools(b: Obj): WireToolRequest {
  const tools: WireTool[] = [];
  for (const t of list(b.tools)) {
    if (!isObj(t)) continue;
    for (const d of list(t.functionDeclarations ?? t.function_declarations)) {
      if (!isObj(d) || typeof d.name !== "string") continue;
      tools.push({
        name: d.name,
        ...(typeof d.description === "string" && { description: d.description }),
        parameters: d.parametersJsonSchema ?? d.parameters,
      });
    }
  }
  const calls: WireToolCall[] = [];
  const results: WireToolResult[] = [];
  for (const c of list(b.contents)) {
    if (!isObj(c)) continue;
    for (const part of list(c.parts)) {
      if (!isObj(part)) continue;
      const fc = part.functionCall;
      if (isObj(fc)) {
        calls.push({
          ...(str(fc.id) && { id: str(fc.id)! }),
          name: String(fc.name),
          arguments: fc.args,
          rawArguments: JSON.stringify(fc.args ?? {}),
          ...(str(part.thoughtSignature) && { thoughtSignature: str(part.thoughtSignature)! }),
        });
      }
      const fr = part.functionResponse;
      if (isObj(fr)) {
        const response = isObj(fr.response) ? fr.response : {};
        results.push({
          ...(str(fr.id) && { id: str(fr.id)! }),
          ...(str(fr.name) && { name: str(fr.name)! }),
          content: JSON.stringify(response),
          isError: response.error !== undefined,
        });
      }
    }
  }
  const config =
    isObj(b.toolConfig) && isObj(b.toolConfig.functionCallingConfig)
      ? b.toolConfig.functionCallingConfig
      : undefined;
  const allowed = list(config?.allowedFunctionNames);
  const toolChoice: WireToolRequest["toolChoice"] =
    config?.mode === "AUTO"
      ? "auto"
      : config?.mode === "NONE"
        ? "none"
        : config?.mode === "ANY"
          ? allowed.length === 1 && typeof allowed[0] === "string"
            ? { name: allowed[0] }
            : "required"
          : undefined;
  const gc = isObj(b.generationConfig) ? b.generationConfig : {};
  const schema = gc.responseJsonSchema ?? gc.responseSchema;
  const json: WireJsonRequest | undefined =
    gc.responseMimeType === "application/json"
      ? schema !== undefined
        ? { mode: "schema", schema }
        : { mode: "object" }
      : undefined;
  return { tools, ...(toolChoice && { toolChoice }), calls, results, ...(json && { json }) };
}

/**
 * Reads the tool declarations, tool choice, tool history and JSON request out of a recorded
 * request body, whatever the dialect:
 * - OpenAI: `tools[].function`, `tool_choice`, assistant `tool_calls`, `role: "tool"` messages,
 *   `response_format` (`json_schema` / `json_object`);
 * - Anthropic: `tools[].input_schema`, `tool_choice` (`any` is `required`), `tool_use` and
 *   `tool_result` blocks, `output_config.format`;
 * - Gemini: `functionDeclarations` (`parametersJsonSchema`), `toolConfig.functionCallingConfig`
 *   (`ANY` with one allowed name is `{ name }`), `functionCall` / `functionResponse` parts,
 *   `generationConfig.responseMimeType` with `responseJsonSchema`.
 */
export function readToolRequest(dialect: ConformanceDialect, body: unknown): WireToolRequest {
  const b = isObj(body) ? body : {};
  if (dialect === "gemini") return geminiTools(b);
  if (dialect === "anthropic") return anthropicTools(b);
  return openaiTools(b);
}
