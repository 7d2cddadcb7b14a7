// Does the embedding model understand anything? Hybrid search earns its place over the lexical
// index by matching meaning across different words. A model that only reflects shared words (a
// hashed bag of words, as the test server's) or nothing at all adds noise to the fusion instead, and
// on bug reports made hybrid worse than lexical-only. So before its ranking is trusted, the model is
// asked three questions any real embedding model answers: is a paraphrase with no word in common
// closer to a sentence than an unrelated sentence is?

/** Sentence, paraphrase sharing none of its words, unrelated sentence sharing none either. */
const PROBES: Array<[string, string, string]> = [
  ['delete a user account', "remove someone's profile permanently", 'bake bread in hot ovens'],
  ['the connection timed out', 'network request took too long and failed', 'colourful flowers bloom in spring'],
  ['sort the list of numbers', 'order values from smallest to largest', 'cat sleeps on warm sofa'],
];
/** How much closer the paraphrase must be. */
const MARGIN = 0.05;

/**
 * True when every probe's paraphrase is closer to its sentence than the unrelated sentence is (by
 * cosine similarity). Rejects when the model cannot be asked (Ollama down): no verdict then.
 */
export async function embeddingsCarryMeaning(embed: (text: string, signal?: AbortSignal) => Promise<Float32Array>, signal?: AbortSignal): Promise<boolean> {
  for (const [sentence, paraphrase, unrelated] of PROBES) {
    const [s, p, u] = await Promise.all([sentence, paraphrase, unrelated].map((text) => embed(text, signal)));
    if (!(cosine(s, p) > cosine(s, u) + MARGIN)) return false;
  }
  return true;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
