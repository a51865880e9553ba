import { EventSourceParserStream } from "./clients.js";

/** One parsed SSE event. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** POSTs `body` as JSON. */
export function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(body),
    ...init,
  });
}

/** Reads a whole SSE body through eventsource-parser. */
export async function readEvents(response: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const stream = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ onError: "terminate" }));
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    events.push({ event: value.event, data: value.data });
  }
}

/** Parses the data of every event except OpenAI's `[DONE]`. */
export function jsonEvents(events: SseEvent[]): Record<string, unknown>[] {
  return events
    .filter((event) => event.data !== "[DONE]")
    .map((event) => JSON.parse(event.data) as Record<string, unknown>);
}

/** Resolves with a promise that settles the first time it is called, for "request arrived" gates. */
export function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}
