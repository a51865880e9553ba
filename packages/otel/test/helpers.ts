import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll } from "vitest";

/** Registers an AsyncLocalStorage context manager for the file's tests, and removes it after. */
export function useContextManager(): void {
  let manager: AsyncLocalStorageContextManager;
  beforeAll(() => {
    manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
  });
  afterAll(() => {
    context.disable();
  });
}

/** A reader to collect metrics from on demand. */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** An SDK tracer and meter provider that keep everything in memory. */
export function telemetry() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    async metrics(): Promise<ResourceMetrics> {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics;
    },
  };
}

/**
 * The span tree as indented names, children in start order; the SDK's start times are whole
 * milliseconds, so ties are in the order the spans ended.
 */
export function tree(spans: readonly ReadableSpan[], describe = describeSpan): string[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : undefined;
    const list = children.get(key) ?? [];
    list.push(s);
    children.set(key, list);
  }
  const order = new Map(spans.map((s, i) => [s, i]));
  const ms = (t: [number, number]) => t[0] * 1e3 + Math.floor(t[1] / 1e6);
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const list = (children.get(parent) ?? []).sort(
      (a, b) => ms(a.startTime) - ms(b.startTime) || order.get(a)! - order.get(b)!,
    );
    for (const s of list) {
      lines.push(`${"  ".repeat(depth)}${describe(s)}`);
      walk(s.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

/** A span's name, with its error status when failed. */
export function describeSpan(s: ReadableSpan): string {
  return s.status.code === 2 ? `${s.name} (error)` : s.name;
}

/** The one span named so. */
export function span(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`${found.length} spans named "${name}"`);
  return found[0]!;
}
