// What the user sees of a workspace file, for the freshness check and Explain with Context.
import * as vscode from 'vscode';
import { isOutsideWorkspace, resolveIndexedPath } from '../core/files';
import { documentAwareReader, type ReadCurrent } from '../core/retrieve';
import type { WorkspaceIndex } from '../core/workspaceIndex';

/** The text the user sees: an open editor's unsaved buffer wins over the file on disk. `key` may be a docs-folder file's absolute path. */
export async function readCurrentText(folder: vscode.WorkspaceFolder, key: string): Promise<string | undefined> {
  const uri = isOutsideWorkspace(key) ? vscode.Uri.file(resolveIndexedPath(folder.uri.fsPath, key)) : vscode.Uri.joinPath(folder.uri, ...key.split('/'));
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/** The freshness check's reader for one folder's sources: documents (PDF, notebooks, ...) as indexed while unchanged on disk. */
export function currentTextReader(fi: { folder: vscode.WorkspaceFolder; index: WorkspaceIndex }): ReadCurrent {
  return documentAwareReader(fi.folder.uri.fsPath, fi.index.store, (key) => readCurrentText(fi.folder, key));
}
