// Every workspace folder is open in Lore and indexed (the harness opens two; they finish in any order).
import * as vscode from 'vscode';

interface FolderStatus {
  files: number;
  chunks: number;
  vectors: number;
  mode: string;
}

export function allFoldersIndexed(status: FolderStatus[], also: (s: FolderStatus) => boolean = () => true): boolean {
  return status.length === (vscode.workspace.workspaceFolders?.length ?? 0) && status.every((s) => s.files > 0 && also(s));
}
