// What the user sees of a workspace file, for the freshness check and Explain with Context.
import * as vscode from 'vscode';

/** The text the user sees: an open editor's unsaved buffer wins over the file on disk. */
export async function readCurrentText(folder: vscode.WorkspaceFolder, rel: string): Promise<string | undefined> {
  const uri = vscode.Uri.joinPath(folder.uri, ...rel.split('/'));
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}
