import type { Message, ProviderMetadata, ToolCall } from "@rephysco/core";

/**
 * A Gemini thought signature is valid only under the credentials that produced it: sent with
 * another key (a fallback to a second Gemini account, a rotated key) the request fails with a 400.
 * Answers record whose signature it is (`providerMetadata.gemini.signatureScope`, the provider's
 * credential fingerprint, never the key); this drops the signatures of other scopes from a
 * history, so those calls go as unsigned ones (with the documented dummy signature). A signature
 * without a scope (history written before scopes, or by hand) is kept.
 */
export function withOwnSignatures(messages: readonly Message[], scope: string): readonly Message[] {
  let out: Message[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const fixed = ownMessage(m, scope);
    if (fixed !== m && !out) out = messages.slice(0, i);
    out?.push(fixed);
  }
  return out ?? messages;
}

function foreign(metadata: ProviderMetadata | undefined, scope: string): boolean {
  const g = metadata?.gemini;
  return (
    g !== undefined &&
    typeof g.thoughtSignature === "string" &&
    typeof g.signatureScope === "string" &&
    g.signatureScope !== scope
  );
}

function strip(metadata: ProviderMetadata): ProviderMetadata {
  const { thoughtSignature: _s, signatureScope: _c, ...gemini } = metadata.gemini!;
  return { ...metadata, gemini };
}

function ownMessage(m: Message, scope: string): Message {
  if (m.role !== "assistant") return m;
  const turn = foreign(m.providerMetadata, scope);
  const calls = m.toolCalls;
  const anyCall = calls?.some((c) => foreign(c.providerMetadata, scope)) ?? false;
  if (!turn && !anyCall) return m;
  return {
    ...m,
    ...(turn && { providerMetadata: strip(m.providerMetadata!) }),
    ...(anyCall && {
      toolCalls: calls!.map(
        (c): ToolCall =>
          foreign(c.providerMetadata, scope)
            ? { ...c, providerMetadata: strip(c.providerMetadata!) }
            : c,
      ),
    }),
  };
}
