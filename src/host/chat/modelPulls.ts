// Model pulls started from the chat view: one per model at a time, progress throttled to what a
// view can show (Ollama reports every few kilobytes), cancelled when the view goes away.
import type { HostToWebview } from '../../shared/protocol';
import type { ChatBackend, PullProgress } from './backend';

const PULL_PROGRESS_INTERVAL_MS = 100;

export class ModelPulls {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly backend: ChatBackend,
    private readonly post: (message: HostToWebview) => void,
    private readonly onPulled: () => void,
  ) {}

  start(model: string): void {
    if (this.running.has(model)) return;
    const controller = new AbortController();
    this.running.set(model, controller);
    let lastStatus = '';
    let lastPostAt = 0;
    this.post({ type: 'pullProgress', model, status: 'starting' });
    const onProgress = (p: PullProgress) => {
      const now = Date.now();
      if (p.status === lastStatus && now - lastPostAt < PULL_PROGRESS_INTERVAL_MS) return;
      lastStatus = p.status;
      lastPostAt = now;
      this.post({ type: 'pullProgress', model, status: p.status, completed: p.completed, total: p.total });
    };
    this.backend
      .pullModel(model, onProgress, controller.signal)
      .then(
        () => {
          this.post({ type: 'pullProgress', model, status: 'success', done: true });
          this.onPulled();
        },
        (error: unknown) => this.post({ type: 'pullProgress', model, status: 'error', done: true, error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => this.running.delete(model));
  }

  dispose(): void {
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
  }
}
