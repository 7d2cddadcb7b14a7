// Embedding-like vectors for the scale benchmark: not uniform noise, which no model produces and
// which flatters quantization (every score is near 0 and the top 10 stand far apart). Real text
// embeddings share a common direction (unrelated texts still score ~0.1-0.3), fall into topics and
// subtopics (a repository's folders, a file's neighbours), and spread their variance unevenly over
// the dimensions. So each vector here is
//   0.8 * shared mean + 0.7 * topic centre + 0.9 * subtopic centre + noise,
// every term shaped by a decaying spectrum (dimension j scaled by 1 / sqrt(1 + j / 64)), then
// normalized. 64 topics of 32 subtopics each; the chunks of one file share a subtopic. A query is a
// chunk's vector plus noise, as a question sits near, but not on, the passage it asks about: its
// best match scores ~0.5, its 10th ~0.35, so the top 10 are close calls within one subtopic.
import { seededRandom } from './synthetic';

const TOPICS = 64;
const SUBTOPICS_PER_TOPIC = 32;
/** The noise's norm is ~1.4x the chunk vector's (the spectrum's norm is ~12.8). */
const QUERY_NOISE = 0.11;

export class ClusteredVectors {
  private readonly spectrum: Float32Array;
  private readonly mean: Float32Array;
  private readonly topics: Float32Array[];
  private readonly subtopics: Float32Array[];

  constructor(readonly dims: number, seed = 7) {
    const random = gaussians(seed);
    this.spectrum = Float32Array.from({ length: dims }, (_, j) => 1 / Math.sqrt(1 + j / 64));
    const shaped = () => Float32Array.from(this.spectrum, (scale) => random() * scale);
    this.mean = shaped();
    this.topics = Array.from({ length: TOPICS }, shaped);
    this.subtopics = Array.from({ length: TOPICS * SUBTOPICS_PER_TOPIC }, shaped);
  }

  /** The unit vector of chunk `chunk` of file `file`, written into `out` (allocation-free for bulk use). */
  vector(file: number, chunk: number, out = new Float32Array(this.dims)): Float32Array {
    const subtopic = (Math.imul(file + 1, 2_654_435_761) >>> 0) % this.subtopics.length;
    const topic = this.topics[Math.floor(subtopic / SUBTOPICS_PER_TOPIC)];
    const sub = this.subtopics[subtopic];
    const noise = gaussians(file * 64 + chunk + 1);
    let norm = 0;
    for (let j = 0; j < this.dims; j++) {
      const value = 0.8 * this.mean[j] + 0.7 * topic[j] + 0.9 * sub[j] + noise() * this.spectrum[j];
      out[j] = value;
      norm += value * value;
    }
    return scale(out, 1 / Math.sqrt(norm));
  }

  /** A question's vector: near chunk `chunk` of file `file`. */
  query(file: number, chunk: number, n: number): Float32Array {
    const vector = this.vector(file, chunk);
    const noise = gaussians(1_000_003 + n);
    let norm = 0;
    for (let j = 0; j < this.dims; j++) {
      vector[j] += QUERY_NOISE * noise() * this.spectrum[j];
      norm += vector[j] * vector[j];
    }
    return scale(vector, 1 / Math.sqrt(norm));
  }
}

function scale(vector: Float32Array, factor: number): Float32Array {
  for (let j = 0; j < vector.length; j++) vector[j] *= factor;
  return vector;
}

/** Seeded standard normal numbers (Box-Muller, both outputs used). */
function gaussians(seed: number): () => number {
  const uniform = seededRandom(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(uniform() || 2 ** -32));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
