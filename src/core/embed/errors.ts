// The embedding failure that calls for rebuilding the vectors (Ollama's own failures: core/ollama).

/** Vectors of a different size than the ones already stored: another model answered, or the model changed. */
export class DimensionMismatchError extends Error {
  override name = 'DimensionMismatchError';
  constructor(
    readonly expected: number,
    readonly got: number,
    model: string,
  ) {
    super(`Model "${model}" returned ${got}-dimensional embeddings, but the index holds ${expected}-dimensional ones; the vectors must be rebuilt.`);
  }
}
