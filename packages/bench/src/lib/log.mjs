/** Progress goes to stderr; stdout carries the scenario's JSON result. */
export function log(...args) {
  process.stderr.write(`${args.join(" ")}\n`);
}
