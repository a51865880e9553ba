import { type DialectRenderer, sseFrame } from "./dialect.js";

/** anthropic dialect (work in progress). */
export const anthropicDialect: DialectRenderer = {
  defaultFinish: "stop",
  mapFinish: (value) => value,
  baseHeaders: () => ({}),
  renderText: () => ({
    kind: "body",
    status: 501,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: { message: "anthropic dialect not implemented yet" } }),
  }),
  streamErrorFrame: (body) => sseFrame(JSON.stringify(body)),
  rawDataFrame: (text) => sseFrame(text),
};
