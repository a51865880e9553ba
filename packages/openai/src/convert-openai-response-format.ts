import type { Message, ResponseFormat } from "@rephysco/core";
import { isStrictJsonSchema } from "./is-strict-json-schema.js";
import type { OpenAIResponseFormat } from "./openai-chat-types.js";

/**
 * The `response_format` for a {@link ResponseFormat}: `json_schema` when a schema is given and
 * the service takes schemas for this model, with `strict: true` only when the schema allows it
 * (see {@link isStrictJsonSchema}; a strict request with any other schema is a 400), else the
 * loose `json_object` mode.
 */
export function convertOpenAIResponseFormat(
  format: ResponseFormat,
  jsonSchema: boolean,
): OpenAIResponseFormat {
  const schema = format.schema;
  if (!schema || !jsonSchema) return { type: "json_object" };
  return {
    type: "json_schema",
    json_schema: {
      name: format.name ?? "response",
      ...(format.description !== undefined && { description: format.description }),
      schema,
      strict: isStrictJsonSchema(schema),
    },
  };
}

const MENTIONS_JSON = /json/i;

/**
 * The system instruction a `json_object` request needs, or `undefined`:
 * - with a schema the service cannot take (the `json_object` fallback), the schema itself goes
 *   into the instruction, or the model would never see it;
 * - without one, "JSON" must appear in a system or user message: OpenAI and DashScope answer 400
 *   ("'messages' must contain the word 'json' in some form") otherwise, and SiliconFlow asks
 *   for it. Nothing is added when a message already says it.
 */
export function jsonObjectInstruction(
  format: ResponseFormat,
  messages: readonly Message[],
): string | undefined {
  if (format.schema) {
    return `Answer with one JSON object that matches this JSON Schema: ${JSON.stringify(format.schema)}`;
  }
  for (const message of messages) {
    if (
      (message.role === "system" || message.role === "user") &&
      MENTIONS_JSON.test(message.content)
    )
      return undefined;
  }
  return "Answer with one JSON object.";
}
