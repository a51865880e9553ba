// Test-only clients that talk to the mock server: devDependencies of this package.

export { EventSourceParserStream } from "eventsource-parser/stream";
export { default as OpenAI } from "openai";
