// Test-only clients that talk to the mock server: devDependencies of this package.
export { default as OpenAI } from "openai";
export { EventSourceParserStream } from "eventsource-parser/stream";
