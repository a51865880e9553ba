import type { ProviderCallOptions } from "@rephysco/core";
import type { AcmeResponseFormat, AcmeTool, AcmeToolChoice } from "./acme-api-types.js";

/** The request fields for tools and structured output. */
export interface AcmeToolFields {
  tools?: AcmeTool[];
  tool_choice?: AcmeToolChoice;
  response_format?: AcmeResponseFormat;
}

/**
 * Maps `tools` (the JSON Schema goes in `parameters` as it is), `toolChoice` (`{ name }` becomes
 * `{ type: "function", function: { name } }`) and `responseFormat` (`json_schema` with a schema,
 * else `json_object`). Nothing is sent for what the call does not use.
 */
export function convertToAcmeTools(options: ProviderCallOptions): AcmeToolFields {
  const fields: AcmeToolFields = {};
  if (options.tools?.length) {
    fields.tools = options.tools.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parameters: tool.parameters,
      },
    }));
    const choice = options.toolChoice;
    if (choice !== undefined) {
      fields.tool_choice =
        typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
    }
  }
  const format = options.responseFormat;
  if (format) {
    fields.response_format = format.schema
      ? {
          type: "json_schema",
          json_schema: {
            name: format.name ?? "response",
            ...(format.description !== undefined && { description: format.description }),
            schema: format.schema,
          },
        }
      : { type: "json_object" };
  }
  return fields;
}
