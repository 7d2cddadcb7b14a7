// A deliberately conservative token estimate. Embedding and chat models use different tokenizers;
// code averages ~3.2-4 chars per token, so dividing by 3 over-counts, which keeps every chunk
// and prompt inside the model's real window without shipping a tokenizer per model.
export const CHARS_PER_TOKEN = 3;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}
