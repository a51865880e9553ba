export type { ChatFlags } from "./commands/chat.js";
export type { GenerateFlags } from "./commands/generate.js";
export type { ClientFlags } from "./create-client.js";
export { ExitCode } from "./exit-codes.js";
export { main, type RunCliOptions, runCli } from "./run-cli.js";
export type { CliInput, CliOutput, CliStreams } from "./terminal.js";
