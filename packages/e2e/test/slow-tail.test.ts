import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { LLMClient } from "@rephysco/core";
import "@rephysco/gemini";
import { describe, expect, it } from "vitest";
import { collect } from "./helpers.js";

describe("a slow tail after the finish reason", () => {
  it("does not turn a complete answer into a timeout", async () => {
    // The whole answer and its finish reason arrive, then the connection stays open (as a proxy
    // holding an SSE connection would): the idle timeout ends the stream, as a success.
    const sockets = new Set<Socket>();
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const event = {
        candidates: [
          {
            content: { parts: [{ text: "complete answer" }], role: "model" },
            finishReason: "STOP",
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 },
        modelVersion: "gemini-2.5-flash",
      };
      res.write(`data: ${JSON.stringify(event)}\r\n\r\n`);
    });
    server.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new LLMClient({
        provider: "gemini",
        apiKey: "gemini-slow-tail-key-0000",
        baseURL: `http://127.0.0.1:${port}`,
        idleTimeoutMs: 300,
        retry: false,
      });
      const { text, chunks } = await collect(client.stream("x"));
      expect(text).toBe("complete answer");
      expect(chunks.some((c) => c.finishReason === "stop")).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
