// Entry point of a chunk worker thread (workerPool.ts starts them): chunks one file per request
// with the in-thread chunker, so tree-sitter never blocks the thread that asked, and tokenizes the
// chunks for the lexical index. Built by tsc into
// out/ and by esbuild into dist/, beside the code that starts it.
import { parentPort, workerData } from 'node:worker_threads';
import { UnreadableDocumentError } from '../docs/document';
import { lexicalTermsOf, packLexicalTerms } from '../lexical/terms';
import { InThreadChunker } from './inThread';
import type { Chunk } from '../types';
import { CHUNKS_PER_REPLY, type ChunkReply, type ChunkRequest, type StartReply, type WorkerStart } from './workerPool';

const port = parentPort;
if (!port) throw new Error('Lore chunker: chunkWorker.js runs only as a worker thread');
const { grammarDir } = workerData as WorkerStart;

const reportStart = (reply: StartReply): void => port.postMessage(reply);

InThreadChunker.open(grammarDir).then(
  (chunker) => {
    // Strictly one request after another (a grammar loads asynchronously): the pool counts on replies
    // in order, and on a worker that dies having died on its oldest unanswered request.
    const answer = async ({ path, content, options }: ChunkRequest): Promise<void> => {
      let chunks: Chunk[];
      try {
        chunks = await chunker.chunk(path, content, options);
      } catch (err) {
        port.postMessage((err instanceof UnreadableDocumentError ? { error: err.reason, unreadable: true } : { error: err instanceof Error ? err.message : String(err) }) satisfies ChunkReply);
        return;
      }
      // A big document's chunks go in parts: the calling thread decodes each message in one go.
      for (let start = 0; start === 0 || start < chunks.length; start += CHUNKS_PER_REPLY) {
        const part = chunks.slice(start, start + CHUNKS_PER_REPLY);
        const more = start + CHUNKS_PER_REPLY < chunks.length;
        // The lexical index's terms too: tokenizing costs about as much as chunking, and this thread has time for it.
        port.postMessage({ chunks: part, terms: part.map((chunk) => packLexicalTerms(lexicalTermsOf(chunk))), ...(more ? { more } : {}) } satisfies ChunkReply);
      }
    };
    let previous: Promise<void> = Promise.resolve();
    port.on('message', (request: ChunkRequest) => {
      previous = previous.then(() => answer(request));
    });
    reportStart({ ready: true });
  },
  // With no listener on the port the thread then ends by itself.
  (err: unknown) => reportStart({ failed: err instanceof Error ? err.message : String(err) }),
);
