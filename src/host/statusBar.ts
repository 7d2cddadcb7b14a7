// One quiet status-bar item: what the index is doing, and a click to see more.
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import type { FolderIndex } from './folderIndex';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lore.status', vscode.StatusBarAlignment.Left, 10);

  constructor(
    private readonly folders: () => FolderIndex[],
    private readonly paused: () => boolean,
  ) {
    this.item.name = 'Lore Index';
    this.item.command = COMMANDS.showStatus;
    this.update();
    this.item.show();
  }

  update(): void {
    const folders = this.folders();
    const busy = folders.filter((f) => f.state.busy);
    const problem = folders.find((f) => f.state.embedProblem)?.state.embedProblem;
    const error = folders.find((f) => f.state.lastError)?.state.lastError;
    const files = folders.reduce((n, f) => n + (f.state.lastRun?.files ?? 0), 0);
    const chunks = folders.reduce((n, f) => n + (f.state.lastRun?.chunks ?? 0), 0);

    if (this.paused()) {
      this.set('$(debug-pause) Lore: paused', 'Indexing is paused. Run "Lore: Resume Indexing" to continue.');
    } else if (busy.length) {
      const p = busy.find((f) => f.state.progress)?.state.progress;
      const detail = p && p.total ? ` ${p.phase} ${p.done}/${p.total}` : p ? ` ${p.phase}` : '';
      this.set(`$(sync~spin) Lore:${detail || ' indexing'}`, 'Lore is updating the index. Click for status.');
    } else if (folders.some((f) => f.state.readOnly)) {
      this.set('$(lock) Lore: read-only', 'Another VS Code window or `lore index` is updating this index; this window searches it read-only.');
    } else if (error) {
      this.set('$(error) Lore', `Indexing failed and will be retried: ${error}`);
    } else if (problem) {
      this.set('$(warning) Lore: lexical', `Search is lexical-only: ${problem.message}`);
    } else if (!folders.length) {
      this.set('$(book) Lore', 'Lore: no folder indexed yet.');
    } else {
      this.set(`$(book) Lore`, `Lore index: ${files} files, ${chunks} chunks. Click for status.`);
    }
  }

  private set(text: string, tooltip: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: tooltip };
  }

  dispose(): void {
    this.item.dispose();
  }
}
