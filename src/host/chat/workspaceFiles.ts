// What the chat view may open or change in the workspace on the webview's behalf: sources and file
// links (only inside a workspace folder), web links (only http(s), through VS Code's own prompt),
// and code inserted at the cursor. The webview renders untrusted model output, so every target is
// checked again here.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { classifyLink, normalizeRelativePath } from '../../shared/linkPolicy';

export async function openLink(href: string, log: (message: string) => void): Promise<void> {
  const target = classifyLink(href);
  if (target.kind === 'blocked') {
    log(`chat view: did not open link (${target.reason}): ${href}`);
    return;
  }
  if (target.kind === 'file') {
    await openWorkspaceFile(target.path, target.absolute, target.startLine, target.endLine);
    return;
  }
  const uri = vscode.Uri.parse(target.url, true);
  // Only http(s), and through openExternal so VS Code's trusted-domain prompt applies.
  if (uri.scheme !== 'http' && uri.scheme !== 'https') return;
  await vscode.env.openExternal(uri);
}

/** Opens a workspace file with the lines selected (clamped to the file), or says why it cannot. */
export async function openWorkspaceFile(filePath: string, absolute: boolean, startLine?: number, endLine?: number): Promise<void> {
  const uri = await resolveWorkspaceFile(filePath, absolute);
  if (!uri) {
    void vscode.window.showWarningMessage(`Lore: ${filePath} is not a file in this workspace.`);
    return;
  }
  try {
    const document = await vscode.workspace.openTextDocument(uri);
    let selection: vscode.Range | undefined;
    if (startLine !== undefined) {
      const last = document.lineCount - 1;
      const start = Math.min(Math.max(startLine - 1, 0), last);
      const end = Math.min(Math.max((endLine ?? startLine) - 1, start), last);
      selection = new vscode.Range(start, 0, end, document.lineAt(end).text.length);
    }
    await vscode.window.showTextDocument(document, { preview: true, ...(selection ? { selection } : {}) });
  } catch (error) {
    void vscode.window.showWarningMessage(`Lore: could not open ${filePath}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function insertAtCursor(code: string): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showInformationMessage('Lore: open an editor to insert the code.');
    return;
  }
  await editor.edit((edit) => {
    for (const selection of editor.selections) edit.replace(selection, code);
  });
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}

/**
 * The workspace file a link or source names, or undefined. Relative paths are joined onto each
 * workspace folder (in multi-root workspaces they may also start with the folder's name) after
 * `..` escapes are rejected; absolute paths must lie inside a workspace folder.
 */
export async function resolveWorkspaceFile(filePath: string, absolute: boolean): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const candidates: vscode.Uri[] = [];
  if (absolute) {
    for (const folder of folders) {
      if (folder.uri.scheme !== 'file') continue;
      const relative = path.relative(folder.uri.fsPath, path.resolve(filePath));
      if (relative && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)) {
        candidates.push(vscode.Uri.file(path.resolve(filePath)));
      }
    }
  } else {
    const relative = normalizeRelativePath(filePath);
    if (relative === undefined) return undefined;
    for (const folder of folders) candidates.push(vscode.Uri.joinPath(folder.uri, relative));
    const [first, ...rest] = relative.split('/');
    const named = folders.find((f) => f.name === first);
    if (named && rest.length) candidates.push(vscode.Uri.joinPath(named.uri, ...rest));
  }
  for (const candidate of candidates) {
    try {
      if ((await vscode.workspace.fs.stat(candidate)).type & vscode.FileType.File) return candidate;
    } catch {
      // Not in this folder; try the next.
    }
  }
  return undefined;
}
