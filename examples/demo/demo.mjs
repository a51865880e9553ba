// `pnpm demo`: drives LLMClient through the whole stack against the local wire server.
// No key, no network: the server speaks the OpenAI chat-completions format on 127.0.0.1.
import { jsonSchema, LLMClient, memoryStore, RateLimitError, tool } from "@rephysco/core";
import "@rephysco/openai";
import { createMockServer } from "@rephysco/testing";

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (useColor ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s) => (useColor ? `\x1b[2m${s}\x1b[22m` : s);
const step = (title) => console.log(`\n${bold(`▸ ${title}`)}`);

const server = await createMockServer();
const client = new LLMClient({
  provider: "openai",
  apiKey: "sk-demo-not-a-real-key",
  baseURL: `${server.url}/v1`,
  model: "gpt-4o-mini",
  cache: memoryStore(),
  retry: { baseDelayMs: 200 },
  onEvent: (e) => {
    if (e.type === "retry")
      console.log(
        dim(`  ↻ retry ${e.attempt} in ${Math.round(e.delayMs)} ms after ${e.error?.name}`),
      );
    if (e.type === "cache_hit") console.log(dim("  ✓ cache hit"));
  },
});

try {
  step("generate");
  server.enqueue({
    text: "Paris is the capital of France.",
    usage: { promptTokens: 12, completionTokens: 7 },
  });
  const r = await client.generate("What is the capital of France?", { temperature: 0 });
  console.log(
    `  ${r.content}  ${dim(`(${r.provider}/${r.model}, ${r.usage?.totalTokens} tokens)`)}`,
  );

  step("stream");
  server.enqueue({
    chunks: ["Once ", "upon ", "a ", "time, ", "a ", "stream ", "arrived."],
    chunkDelayMs: 60,
  });
  process.stdout.write("  ");
  for await (const chunk of client.stream("Tell me a very short story.", { cache: false })) {
    process.stdout.write(chunk.content);
    if (chunk.usage) process.stdout.write(dim(`  (${chunk.usage.totalTokens} tokens)`));
  }
  console.log();

  step("two-turn chat");
  client.setSystemPrompt("You are a friendly assistant.");
  server.enqueue({ text: "Nice to meet you, Ada!" });
  console.log(`  you: My name is Ada.\n  bot: ${(await client.chat("My name is Ada.")).content}`);
  server.enqueue((req) => {
    const sawName = JSON.stringify(req.body).includes("My name is Ada.");
    return { text: sawName ? "Your name is Ada." : "I don't know." };
  });
  console.log(`  you: What is my name?\n  bot: ${(await client.chat("What is my name?")).content}`);
  console.log(dim(`  history: ${client.history.length} messages (system + 2 turns)`));

  step("image prompt");
  const png = Uint8Array.from(
    Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII=",
      "base64",
    ),
  );
  server.enqueue({ text: "A single transparent pixel." });
  const img = await client.generate("What is in this image?", { images: [png] });
  const sent = server.requests.at(-1)?.body?.messages?.at(-1)?.content?.[1]?.image_url?.url ?? "";
  console.log(`  ${img.content}  ${dim(`(sent as ${sent.slice(0, 30)}…)`)}`);

  step("tool loop: two tools, run by the client");
  // Plain JSON Schema here; zod, ArkType and Valibot work too (see examples/tools).
  const cityArgs = jsonSchema({
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  });
  const tools = {
    get_weather: tool({
      description: "Current weather in a city",
      parameters: cityArgs,
      execute: async ({ city }) => ({ city, tempC: 18, sky: "sunny" }),
    }),
    get_time: tool({
      description: "Local time in a city",
      parameters: cityArgs,
      execute: () => "14:05",
    }),
  };
  // The model asks for both tools at once; once it has their results, it answers.
  server.enqueue([
    {
      toolCalls: [
        { name: "get_weather", arguments: { city: "Paris" } },
        { name: "get_time", arguments: { city: "Paris" } },
      ],
    },
    (req) => {
      const results = req.body.messages.filter((m) => m.role === "tool").map((m) => m.content);
      const weather = JSON.parse(results[0]);
      return {
        text: `${weather.tempC} °C and ${weather.sky} in Paris; it is ${results[1]} there.`,
      };
    },
  ]);
  const agent = await client.generate("Weather and time in Paris?", { tools, maxSteps: 3 });
  for (const { toolCalls, toolResults } of agent.steps ?? []) {
    toolCalls.forEach((call, i) => {
      const result = JSON.stringify(toolResults[i]?.result);
      console.log(dim(`  → ${call.name}(${JSON.stringify(call.arguments)}) = ${result}`));
    });
  }
  console.log(
    `  ${agent.content}  ${dim(`(${agent.steps?.length} model calls, ${agent.usage?.totalTokens} tokens)`)}`,
  );

  step("structured answer (generateObject)");
  server.enqueue({ text: '{"name":"Paris","country":"France","population":2102650}' });
  const citySchema = jsonSchema({
    type: "object",
    properties: {
      name: { type: "string" },
      country: { type: "string" },
      population: { type: "integer" },
    },
    required: ["name", "country", "population"],
    additionalProperties: false,
  });
  const { object } = await client.generateObject("Describe Paris.", {
    schema: citySchema,
    schemaName: "city",
  });
  const format = server.requests.at(-1)?.body?.response_format;
  console.log(
    `  ${JSON.stringify(object)}  ${dim(`(sent response_format ${format?.type} "${format?.json_schema?.name}", strict: ${format?.json_schema?.strict})`)}`,
  );

  step("structured answer, streamed (streamObject)");
  server.enqueue({
    chunks: ['{"name":"Ber', 'lin","country":"Germ', 'any","population":3897145}'],
  });
  const partials = [];
  for await (const item of client.streamObject("Describe Berlin.", { schema: citySchema })) {
    // `partial` is updated in place as text arrives: print a snapshot of it.
    if (!item.done) partials.push(JSON.stringify(item.partial));
    else {
      const whole = JSON.stringify(item.object);
      const growing = partials.filter((p) => p !== whole);
      console.log(`  ${dim(`${growing.join(" → ")} →`)}\n  ${whole}  ${dim("(validated)")}`);
    }
  }

  step("cache hit");
  const again = await client.generate("What is the capital of France?", { temperature: 0 });
  console.log(
    `  ${again.content}  ${dim(`cached=${again.cached}, upstream requests so far: ${server.requests.length}`)}`,
  );

  step("a 429 with Retry-After, retried");
  server.enqueue([
    {
      error: {
        status: 429,
        body: {
          error: {
            message: "Rate limit reached",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
        headers: { "retry-after-ms": "300" },
      },
    },
    { text: "Answered after one retry." },
  ]);
  const retried = await client.generate("Are you there?", { cache: false });
  console.log(`  ${retried.content}`);

  step("a typed error");
  server.enqueue({
    error: {
      status: 401,
      body: {
        error: {
          message: "Incorrect API key provided: sk-demo-not-a-real-key.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      },
    },
  });
  try {
    await client.generate("hi", { cache: false });
  } catch (e) {
    console.log(
      `  ${e.name}: ${e.message} ${dim(`(status ${e.status}, code ${e.code}, retryable ${e.retryable}, is RateLimitError: ${e instanceof RateLimitError})`)}`,
    );
  }
  console.log(
    `\n${bold("Done.")} ${dim(`${server.requests.length} requests reached the local server.`)}`,
  );
} finally {
  await server.close();
}
