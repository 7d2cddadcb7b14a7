// Opening a source that is a document Lore extracted: a notebook opens in the notebook editor at its
// cell; a PDF, Word or HTML file opens as its extracted text (the lines its chunks refer to) in a
// read-only document, with an offer to open the original file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { documentFormatOf } from '../../core/docs/formats';
import { resolveIndexedPath } from '../../core/files';
import { indexedText } from '../../core/retrieve';
import type { FolderIndex } from '../folderIndex';

/** Read-only documents of extracted text: `lore-extracted:/<name>.txt?<index key>#<folder uri>`. */
export const EXTRACTED_TEXT_SCHEME = 'lore-extracted';

export interface DocumentSource {
  path: string;
  startLine: number;
  endLine: number;
  cell?: number;
}

/** Serves the extracted text of indexed documents, rebuilt from their chunks (no re-extraction on this thread). */
export class ExtractedTextProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly folders: () => FolderIndex[]) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const fi = this.folders().find((f) => f.folder.uri.toString() === uri.fragment);
    const key = uri.query;
    return fi?.index.store.getFile(key) ? indexedText(fi.index.store.chunksOf(key)) : `Lore has no extracted text of ${key}: it is not in the index (any more).`;
  }
}

/**
 * Opens `source` if it is an indexed document and returns true; false for other files, which open as
 * text. Only files in an index are opened: the path comes from the webview.
 */
export async function openDocumentSource(source: DocumentSource, folders: FolderIndex[]): Promise<boolean> {
  const format = documentFormatOf(source.path);
  const fi = folders.find((f) => f.index.store.getFile(source.path));
  if (!format || !fi) return false;
  const original = vscode.Uri.file(resolveIndexedPath(fi.folder.uri.fsPath, source.path));
  if (format === 'notebook') {
    const notebook = await vscode.workspace.openNotebookDocument(original);
    const cell = Math.min(source.cell ?? 0, Math.max(0, notebook.cellCount - 1));
    const range = new vscode.NotebookRange(cell, cell + 1);
    const editor = await vscode.window.showNotebookDocument(notebook, { preview: true, selections: [range] });
    editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }
  const uri = vscode.Uri.from({ scheme: EXTRACTED_TEXT_SCHEME, path: `/${path.posix.basename(source.path)}.txt`, query: source.path, fragment: fi.folder.uri.toString() });
  const document = await vscode.workspace.openTextDocument(uri);
  const last = document.lineCount - 1;
  const start = Math.min(Math.max(source.startLine - 1, 0), last);
  const end = Math.min(Math.max(source.endLine - 1, start), last);
  await vscode.window.showTextDocument(document, { preview: true, selection: new vscode.Range(start, 0, end, document.lineAt(end).text.length) });
  void vscode.window.showInformationMessage(`Lore: text extracted from ${path.posix.basename(source.path)}.`, 'Open Original').then((choice) => {
    // PDF and Word open in the system's viewer; VS Code has none for them.
    if (choice) void (format === 'html' ? vscode.commands.executeCommand('vscode.open', original) : vscode.env.openExternal(original));
  });
  return true;
}
