import "@rephysco/openai";
import { createMockServer, type MockServer } from "@rephysco/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { createGateway, type Gateway, type GatewayConfig } from "../src/index.js";

/** What a test file uses: the upstream mock server, the gateway in front of it, an SDK client. */
export interface Setup {
  upstream: MockServer;
  gateway: Gateway;
  url: string;
  client: OpenAI;
}

/**
 * Starts a mock upstream and a gateway whose `openai` provider points at it (plus the named
 * models `config(upstreamUrl)` gives), and an official OpenAI SDK client for the gateway.
 */
export function useGateway(
  config: (upstreamUrl: string) => GatewayConfig = () => ({}),
  clientOptions: ConstructorParameters<typeof OpenAI>[0] = {},
): Setup {
  const s = {} as Setup;
  beforeAll(async () => {
    s.upstream = await createMockServer();
    const extra = config(s.upstream.url);
    s.gateway = await createGateway({
      ...extra,
      providers: {
        openai: { baseURL: `${s.upstream.url}/v1`, apiKey: "sk-upstream-secret" },
        ...extra.providers,
      },
    });
    s.url = (await s.gateway.listen({ port: 0 })).url;
    s.client = new OpenAI({
      apiKey: "sk-client-ignored",
      baseURL: `${s.url}/v1`,
      ...clientOptions,
    });
  });
  beforeEach(() => s.upstream.reset());
  afterAll(async () => {
    await s.gateway?.close();
    await s.upstream?.close();
  });
  return s;
}

/** A body of a recorded upstream request, typed loosely for assertions. */
export type Wire = {
  model: string;
  messages: {
    role: string;
    content: unknown;
    tool_calls?: unknown;
    tool_call_id?: string;
  }[];
  stream?: boolean;
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: unknown;
  [k: string]: unknown;
};
