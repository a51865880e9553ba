import { ConfigurationError, ServiceUnavailableError, TimeoutError } from "@rephysco/core";
import { classifyTransportError, toTransportError } from "@rephysco/core/http";
import { describe, expect, it } from "vitest";

/** What Node's fetch really throws (shapes taken from node 20's undici). */
const fetchFailed = (code?: string) =>
  new TypeError("fetch failed", {
    cause: Object.assign(new Error(`connect ${code ?? "?"}`), code ? { code } : {}),
  });

async function thrownBy(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error("did not throw");
}

describe("classifyTransportError", () => {
  it("connection failures carry a network code somewhere in the chain", () => {
    for (const code of [
      "ECONNREFUSED",
      "ECONNRESET",
      "ENOTFOUND",
      "EAI_AGAIN",
      "UND_ERR_SOCKET",
      "EPIPE",
    ])
      expect(classifyTransportError(fetchFailed(code)), code).toBe("connection");
  });

  it("timeouts by name or code", () => {
    expect(classifyTransportError(new DOMException("t", "TimeoutError"))).toBe("timeout");
    expect(classifyTransportError(fetchFailed("UND_ERR_CONNECT_TIMEOUT"))).toBe("timeout");
    expect(classifyTransportError(fetchFailed("ETIMEDOUT"))).toBe("timeout");
  });

  it("aborts", () => {
    expect(classifyTransportError(new DOMException("a", "AbortError"))).toBe("abort");
  });

  it("what fetch rejects before connecting is configuration, from real fetch calls", async () => {
    const cases: (() => Promise<unknown>)[] = [
      () => fetch("http://127.0.0.1:9/", { headers: { authorization: "Bearer a\r\nb" } }),
      () => fetch("file:///etc/passwd"),
      () => fetch("ftp://127.0.0.1/"),
      () => fetch("not a url"),
      () => fetch("http://user:pw@127.0.0.1:9/"),
      () => fetch("http://127.0.0.1:9/", { method: "POST", body: JSON.stringify({ n: 1n }) }),
    ];
    for (const run of cases) {
      const error = await thrownBy(run);
      expect(classifyTransportError(error), String((error as Error).message)).toBe("configuration");
    }
  });

  it("a refused connection from a real fetch is a connection failure", async () => {
    // A port that was just closed (fetch blocks some well-known ports as "bad port").
    const { createServer } = await import("node:net");
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const error = await thrownBy(() => fetch(`http://127.0.0.1:${port}/`));
    expect(classifyTransportError(error)).toBe("connection");
  });

  it("a plain Error without a code stays a connection failure (the safe default for retries)", () => {
    expect(classifyTransportError(new Error("something odd"))).toBe("connection");
  });
});

describe("toTransportError", () => {
  it("builds the class the classification names, scrubbing secrets", () => {
    const secret = "secret-value-123456";
    const conf = toTransportError(
      new TypeError(`Headers.append: "${secret}\n" is an invalid header value.`),
      {
        provider: "p",
        secrets: [secret],
      },
    );
    expect(conf).toBeInstanceOf(ConfigurationError);
    expect((conf as Error).message).not.toContain(secret);
    expect((conf as ConfigurationError).retryable).toBe(false);
    const net = toTransportError(fetchFailed("ECONNRESET"), { provider: "p" });
    expect(net).toBeInstanceOf(ServiceUnavailableError);
    expect((net as ServiceUnavailableError).reason).toBe("connection_failed");
    expect((net as ServiceUnavailableError).code).toBeUndefined();
    expect(
      toTransportError(fetchFailed("UND_ERR_HEADERS_TIMEOUT"), { provider: "p" }),
    ).toBeInstanceOf(TimeoutError);
  });
});
