// Which chat model answers: the installed ones as last listed, and the user's pick (kept in the
// workspace's Memento) or else the configured default. Names are checked before they are used.
import type * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import type { ChatBackend } from './backend';

const MODEL_KEY = 'lore.chat.model';
const MODEL_NAME = /^[\w.:/-]{1,200}$/;

export function isModelName(model: string): boolean {
  return MODEL_NAME.test(model);
}

export class ModelChoice {
  private installed: string[] = [];

  constructor(
    private readonly backend: ChatBackend,
    private readonly memento: vscode.Memento,
    private readonly post: (message: HostToWebview) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Installed chat models as last listed (empty until the first `refresh`). */
  get list(): string[] {
    return this.installed;
  }

  selected(): string {
    const picked = this.memento.get<string>(MODEL_KEY);
    return picked && isModelName(picked) ? picked : this.backend.defaultModel();
  }

  /** `model` if it is a valid name, else the selected one. */
  orSelected(model: string): string {
    return isModelName(model) ? model : this.selected();
  }

  select(model: string): void {
    if (isModelName(model)) void this.memento.update(MODEL_KEY, model).then(undefined, (e) => this.log(`chat view: ${e}`));
  }

  /** Lists the installed models again and posts them; a failure is logged and the old list kept. */
  async refresh(): Promise<void> {
    try {
      this.installed = [...(await this.backend.listModels())].sort();
    } catch (error) {
      this.log(`chat view: could not list models: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.post({ type: 'models', models: this.installed, selectedModel: this.selected() });
  }
}
