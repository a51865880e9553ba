import { addCost } from "../cost.js";
import { InvalidOutputError, ToolExecutionError } from "../errors.js";
import { addUsage } from "../http/usage.js";
import { abortReason, isAbortError } from "../retry.js";
import { checkValue, issuesText } from "../tools/schema.js";
import type { ToolCallDecision, ToolExecuteContext } from "../tools/tool.js";
import type {
  Cost,
  Message,
  ModelResponse,
  StepResult,
  StreamChunk,
  ToolCall,
  ToolResult,
  Usage,
} from "../types.js";
import { Assembler } from "./assemble.js";
import { costFor, partChunk, toResponse } from "./edge.js";
import { type EventListener, emit } from "./events.js";
import type { Next, PipelineRequest } from "./pipeline.js";
import { parseToolCalls, type ToolSetup } from "./tool-calls.js";

/** How a tool loop runs (from the call's options). */
export interface LoopOptions {
  /** Most model calls. */
  readonly maxSteps: number;
  /** Ends the loop after a step when it returns `true`. */
  readonly stopWhen?: (step: StepResult, steps: readonly StepResult[]) => boolean;
  /** Most tools running at once. */
  readonly maxParallelTools: number;
  /** `send`: a throwing tool becomes an error result for the model; `throw`: the call fails. */
  readonly toolErrors: "send" | "throw";
  /** Approves, vetoes or rewrites a call before it runs. */
  readonly onToolCall?: (
    call: ToolCall,
    context: { readonly stepNumber: number; readonly signal: AbortSignal | undefined },
  ) => ToolCallDecision | Promise<ToolCallDecision>;
}

/** What the loop needs from the client: the pipeline, and a request for the next step. */
export interface LoopContext {
  readonly run: Next;
  readonly setup: ToolSetup | undefined;
  readonly loop: LoopOptions | undefined;
  readonly listener: EventListener | undefined;
  /** The request of step `n` (1-based) for these messages. */
  readonly request: (messages: readonly Message[], stepNumber: number) => PipelineRequest;
  readonly primaryName: string;
}

/** A tool result as the text sent to the model: a string as it is, anything else as JSON. */
export function resultText(result: unknown): string {
  if (typeof result === "string") return result;
  if (result === undefined) return "";
  try {
    return JSON.stringify(result) ?? String(result);
  } catch {
    return String(result);
  }
}

/** A tool result as the `tool` message that carries it to the model. */
export function toolMessage(r: ToolResult): Message {
  return {
    role: "tool",
    toolCallId: r.toolCallId,
    content: resultText(r.result),
    ...(r.isError && { isError: true }),
  };
}

/**
 * An answer as the assistant turn of a history: its text, and when it called tools, the calls
 * with the turn's reasoning (some providers need it back) and provider metadata.
 */
export function assistantTurn(a: {
  readonly content: string;
  readonly toolCalls?: readonly ToolCall[] | undefined;
  readonly reasoning?: string | undefined;
  readonly providerMetadata?: ModelResponse["providerMetadata"];
}): Message {
  const calls = a.toolCalls !== undefined && a.toolCalls.length > 0;
  return {
    role: "assistant",
    content: a.content,
    ...(calls && { toolCalls: a.toolCalls }),
    ...(calls && a.reasoning && { reasoning: a.reasoning }),
    ...(a.providerMetadata && { providerMetadata: a.providerMetadata }),
  };
}

/** The messages that carry one step into the next request: the assistant turn, then one result each. */
export function stepMessages(step: StepResult): Message[] {
  return [assistantTurn(step), ...step.toolResults.map(toolMessage)];
}

/** Runs the executable calls of one step, at most `limit` at once; results in call order. */
async function runTools(
  calls: readonly ToolCall[],
  ctx: LoopContext,
  loop: LoopOptions,
  stepNumber: number,
  signal: AbortSignal | undefined,
  provider: string,
): Promise<ToolResult[]> {
  const tools = ctx.setup!.tools;
  const results: ToolResult[] = new Array(calls.length);
  let next = 0;
  const one = async (i: number): Promise<void> => {
    const call = calls[i]!;
    const started = performance.now();
    if (signal?.aborted) throw abortReason(signal);
    const decision = loop.onToolCall
      ? await loop.onToolCall(call, {
          stepNumber,
          ...(signal ? { signal } : { signal: undefined }),
        })
      : undefined;
    let result: ToolResult;
    if (decision && "veto" in decision) {
      result = { toolCallId: call.id, name: call.name, result: decision.veto, isError: true };
    } else {
      let args = call.arguments;
      if (decision && "arguments" in decision) {
        // A rewrite is checked like the model's own arguments.
        const checked = await checkValue(ctx.setup!.schemas.get(call.name)!, decision.arguments);
        if (!checked.ok)
          throw new InvalidOutputError(
            `onToolCall rewrote the arguments of ${call.name} into a value its schema rejects: ${issuesText(checked.issues)}.`,
            {
              provider: "client",
              reason: "invalid_tool_arguments",
              data: {
                text: resultText(decision.arguments),
                toolName: call.name,
                toolCallId: call.id,
                issues: checked.issues,
              },
            },
          );
        args = checked.value;
      }
      const context: ToolExecuteContext = { toolCallId: call.id, signal, stepNumber };
      try {
        const value = await tools[call.name]!.execute!(args as never, context);
        result = { toolCallId: call.id, name: call.name, result: value, isError: false };
      } catch (error) {
        if (signal?.aborted || isAbortError(error))
          throw signal?.aborted ? abortReason(signal) : error;
        if (loop.toolErrors === "throw")
          throw new ToolExecutionError(
            `The tool ${call.name} failed: ${(error as Error)?.message ?? String(error)}`,
            {
              provider,
              reason: "tool_execution_failed",
              cause: error,
              data: { toolName: call.name, toolCallId: call.id },
            },
          );
        const message = error instanceof Error ? error.message : String(error);
        result = { toolCallId: call.id, name: call.name, result: message, isError: true };
      }
    }
    results[i] = result;
    emit(ctx.listener, {
      type: "tool_result",
      stepNumber,
      toolCallId: call.id,
      toolName: call.name,
      isError: result.isError,
      durationMs: performance.now() - started,
    });
  };
  // On the first failure no further tool starts, and the call fails only once the tools already
  // running have settled: nothing keeps running behind a rejected call.
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < calls.length && !failure) {
      try {
        await one(next++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(loop.maxParallelTools, calls.length); w++) workers.push(worker());
  await Promise.all(workers);
  if (failure) throw failure.error;
  return results;
}

/** Whether the loop goes on after a step. */
function continues(step: StepResult, steps: readonly StepResult[], loop: LoopOptions): boolean {
  if (step.toolCalls.length === 0) return false;
  // A call of a tool without `execute` is the caller's to answer: the loop hands it back.
  if (step.toolResults.length !== step.toolCalls.length) return false;
  if (steps.length >= loop.maxSteps) return false;
  return !loop.stopWhen?.(step, steps);
}

/** The executable calls of a step: those whose tool has `execute` (the rest end the loop). */
function executable(calls: readonly ToolCall[], ctx: LoopContext): ToolCall[] {
  const tools = ctx.setup?.tools;
  return tools ? calls.filter((c) => typeof tools[c.name]?.execute === "function") : [];
}

function makeStep(
  stepNumber: number,
  r: ModelResponse,
  calls: readonly ToolCall[],
  results: readonly ToolResult[],
): StepResult {
  return {
    stepNumber,
    content: r.content,
    ...(r.reasoning && { reasoning: r.reasoning }),
    toolCalls: calls,
    toolResults: results,
    ...(r.finishReason && { finishReason: r.finishReason }),
    ...(r.usage && { usage: r.usage }),
    ...(r.cost && { cost: r.cost }),
    model: r.model,
    provider: r.provider,
    cached: r.cached,
    ...(r.providerMetadata && { providerMetadata: r.providerMetadata }),
  };
}

/** `generate` with tools: one model call, or the loop when one is asked for. */
export async function generateWithTools(
  ctx: LoopContext,
  first: PipelineRequest,
): Promise<ModelResponse> {
  const signal = first.signal;
  let messages = first.params.messages;
  const steps: StepResult[] = [];
  let usage: Usage | undefined;
  let cost: Cost | undefined;
  for (let stepNumber = 1; ; stepNumber++) {
    const req = stepNumber === 1 ? first : ctx.request(messages, stepNumber);
    const r = await toResponse(ctx.run(req), req.trace);
    const calls = await parseToolCalls(
      r.toolCalls,
      ctx.setup,
      r.provider,
      stepNumber,
      ctx.listener,
    );
    const loop = ctx.loop;
    if (!loop) return withCalls(r, calls);
    usage = addUsage(usage, r.usage);
    cost = stepNumber === 1 ? r.cost : addCost(cost, r.cost);
    const run = executable(calls, ctx);
    emitStep(ctx, stepNumber, r, calls.length);
    const results = run.length
      ? await runTools(run, ctx, loop, stepNumber, signal, r.provider)
      : [];
    const step = makeStep(stepNumber, r, calls, results);
    steps.push(step);
    if (!continues(step, steps, loop)) {
      const { toolCalls: _drop, cost: _last, ...rest } = r;
      return {
        ...rest,
        ...(calls.length > 0 && { toolCalls: calls }),
        ...(usage && { usage }),
        ...(cost && { cost }),
        steps,
      };
    }
    if (signal?.aborted) throw abortReason(signal);
    messages = [...messages, ...stepMessages(step)];
  }
}

function withCalls(r: ModelResponse, calls: ToolCall[]): ModelResponse {
  if (calls.length === 0) {
    if (!r.toolCalls) return r;
    const { toolCalls: _drop, ...rest } = r;
    return rest;
  }
  return { ...r, toolCalls: calls };
}

function emitStep(ctx: LoopContext, stepNumber: number, r: ModelResponse, toolCalls: number): void {
  if (!ctx.listener) return;
  emit(ctx.listener, {
    type: "step",
    stepNumber,
    provider: r.provider,
    model: r.model,
    ...(r.finishReason && { finishReason: r.finishReason }),
    ...(r.usage && { usage: r.usage }),
    ...(r.cost && { cost: r.cost }),
    toolCalls,
    cached: r.cached,
  });
}

/**
 * `stream` with tools: chunks of every model call as they come (tool-call fragments as
 * `toolCallDelta`), each call's parsed `toolCalls` on the chunk that ends it, tool results and
 * step boundaries as chunks of their own, and `finishReason` only on the very last chunk.
 */
export async function* streamWithTools(
  start: () => { ctx: LoopContext; first: PipelineRequest },
): AsyncGenerator<StreamChunk, void, undefined> {
  // Input is checked when iteration starts, as for any async generator.
  const { ctx, first } = start();
  const signal = first.signal;
  let messages = first.params.messages;
  const steps: StepResult[] = [];
  let usage: Usage | undefined;
  let cost: Cost | undefined;
  for (let stepNumber = 1; ; stepNumber++) {
    const req = stepNumber === 1 ? first : ctx.request(messages, stepNumber);
    const trace = req.trace;
    const a = new Assembler();
    for await (const part of ctx.run(req)) {
      if (part.type === "response") continue;
      a.push(part);
      const chunk = partChunk(part, a.model, trace.provider ?? ctx.primaryName, trace.cached);
      if (chunk) yield chunk;
    }
    const provider = trace.provider ?? ctx.primaryName;
    const answer = a.response(provider, trace.model ?? req.params.model, trace.cached);
    const stepCost = costFor(trace, answer.cost);
    const r = stepCost === answer.cost ? answer : { ...answer, cost: stepCost };
    const calls = await parseToolCalls(r.toolCalls, ctx.setup, provider, stepNumber, ctx.listener);
    const loop = ctx.loop;
    usage = loop ? addUsage(usage, r.usage) : r.usage;
    cost = loop && stepNumber > 1 ? addCost(cost, r.cost) : r.cost;
    let last = true;
    if (loop) {
      const run = executable(calls, ctx);
      emitStep(ctx, stepNumber, r, calls.length);
      const results = run.length
        ? await runTools(run, ctx, loop, stepNumber, signal, provider)
        : [];
      const step = makeStep(stepNumber, r, calls, results);
      steps.push(step);
      last = !continues(step, steps, loop);
      if (!last) {
        for (const result of results)
          yield { content: "", provider, model: r.model, toolResult: result };
        yield { content: "", provider, model: r.model, toolCalls: calls, step };
        if (signal?.aborted) throw abortReason(signal);
        messages = [...messages, ...stepMessages(step)];
        continue;
      }
      for (const result of results)
        yield { content: "", provider, model: r.model, toolResult: result };
    }
    yield {
      content: "",
      model: r.model,
      provider,
      ...(r.finishReason && { finishReason: r.finishReason }),
      ...(usage && { usage }),
      ...(cost && { cost }),
      ...(calls.length > 0 && { toolCalls: calls }),
      ...(r.providerMetadata && { providerMetadata: r.providerMetadata }),
      ...(trace.cached && { cached: true }),
    };
    return;
  }
}
