// The sidebar chat view (`lore.chat`): hosts the webview (its lifecycle, its page from viewHtml.ts)
// and hands its messages to a ChatSession, which does the chat. Nothing is posted to a webview
// before it says `ready`.
import * as vscode from 'vscode';
import type { HostToWebview, SelectionContext } from '../../shared/protocol';
import type { ChatBackend } from './backend';
import { ChatSession } from './chatSession';
import { chatViewHtml, chatViewResourceRoots } from './viewHtml';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'lore.chat';

  private view?: vscode.WebviewView;
  /** The webview posted `ready` since it last (re)loaded; nothing is sent before. */
  private ready = false;
  private viewDisposables: vscode.Disposable[] = [];
  private readonly session: ChatSession;

  constructor(
    private readonly extensionUri: vscode.Uri,
    backend: ChatBackend,
    memento: vscode.Memento,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.session = new ChatSession(backend, memento, { post: (message) => this.post(message), ready: () => (this.ready = true) }, log);
  }

  /** Registers the provider for `lore.chat`; disposing the result unregisters it and disposes the provider. */
  register(): vscode.Disposable {
    // Hidden views are torn down (no retained context); `ready` + `init` rebuild them when shown.
    const registration = vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, this, { webviewOptions: { retainContextWhenHidden: false } });
    return vscode.Disposable.from(registration, this);
  }

  resolveWebviewView(webviewView: vscode.WebviewView): void {
    this.disposeView();
    this.view = webviewView;
    this.ready = false;
    const webview = webviewView.webview;
    webview.options = { enableScripts: true, localResourceRoots: chatViewResourceRoots(this.extensionUri) };
    webview.html = chatViewHtml(webview, this.extensionUri);
    this.viewDisposables.push(
      webview.onDidReceiveMessage((message: unknown) => this.session.receive(message)),
      // Hidden views lose their content (retainContextWhenHidden is off); shown again they reload
      // and post `ready`, and `init` brings them up to date.
      webviewView.onDidChangeVisibility(() => {
        if (!webviewView.visible) this.ready = false;
      }),
      webviewView.onDidDispose(() => {
        if (this.view !== webviewView) return;
        this.view = undefined;
        this.ready = false;
        this.disposeView();
      }),
    );
  }

  /** "Explain with Context": reveals the view and asks about the selection. */
  async explainSelection(selection: SelectionContext, question?: string): Promise<void> {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
    this.view?.show(true);
    this.session.explain(selection, question);
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  newChat(): void {
    this.session.newChat();
  }

  dispose(): void {
    this.session.dispose();
    this.disposeView();
  }

  private post(message: HostToWebview): void {
    if (!this.ready || !this.view) return;
    this.view.webview.postMessage(message).then(undefined, (e) => this.log(`chat view: post failed: ${e}`));
  }

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
  }
}
