// Preloaded into Portkey's gateway process only (`node --import <this file>`): on Node 20 its
// streaming path sets headers on the Response that global fetch returned, whose headers are
// immutable there ("TypeError: immutable"), and the stream fails. This wraps globalThis.fetch so
// every Response is re-created around the same body with a mutable copy of its headers. It costs
// Portkey one Response and one Headers object per upstream call (BENCHMARKS.md, fairness note).
const upstreamFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const r = await upstreamFetch(...args);
  return new Response(r.body, {
    status: r.status,
    statusText: r.statusText,
    headers: new Headers(r.headers),
  });
};
