import type { MockErrorReply } from "../mock-reply.js";

/** Builds an error reply with a JSON body. */
export function errorReply(
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): MockErrorReply {
  return { error: headers ? { status, body, headers } : { status, body } };
}
