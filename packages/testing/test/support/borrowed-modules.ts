// @rephysco/testing stays dependency-free, so it does not list eventsource-parser or openai.
// The tests borrow the copies installed for @rephysco/core and @rephysco/openai instead.
export { EventSourceParserStream } from "../../../core/node_modules/eventsource-parser/dist/stream.js";
export { default as OpenAI } from "../../../openai/node_modules/openai/index.mjs";
