import { InvalidRequestError, type Message } from "@rephysco/core";
import { imageToUrl } from "@rephysco/core/http";
import type { AcmeMessage } from "./acme-api-types.js";

/** Converts Rephysco messages to Acme's (OpenAI-style) messages; images become `image_url` parts. */
export function convertToAcmeMessages(messages: readonly Message[]): AcmeMessage[] {
  return messages.map((m) => {
    if (m.role === "tool") {
      throw new InvalidRequestError("acme: tool messages are not supported.", { provider: "acme" });
    }
    if (!m.images?.length) return { role: m.role, content: m.content };
    return {
      role: m.role,
      content: [
        { type: "text", text: m.content },
        ...m.images.map((img) => ({
          type: "image_url" as const,
          image_url: { url: imageToUrl(img, "acme") },
        })),
      ],
    };
  });
}
