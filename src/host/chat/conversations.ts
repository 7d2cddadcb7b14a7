// The chat history of a workspace, kept in its Memento: up to MAX_CONVERSATIONS conversations,
// newest first, and which one was open (reopened next session).
import { randomUUID } from 'node:crypto';
import type * as vscode from 'vscode';
import type { ChatTurn, ConversationSummary, UserTurn } from '../../shared/protocol';

const CONVERSATIONS_KEY = 'lore.chat.conversations';
const CURRENT_CONVERSATION_KEY = 'lore.chat.currentConversation';
/** Conversations kept per workspace; the oldest go first. */
export const MAX_CONVERSATIONS = 50;
const TITLE_CHARS = 80;

export interface Conversation {
  id: string;
  title: string;
  updatedAt: number;
  turns: ChatTurn[];
}

export class ConversationStore {
  private conversations: Conversation[];
  private currentConversation: Conversation;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly log: (message: string) => void,
  ) {
    this.conversations = loadConversations(memento.get<unknown>(CONVERSATIONS_KEY));
    const currentId = memento.get<string>(CURRENT_CONVERSATION_KEY);
    this.currentConversation = this.conversations.find((c) => c.id === currentId) ?? newConversation();
  }

  get current(): Conversation {
    return this.currentConversation;
  }

  find(id: string): Conversation | undefined {
    return this.conversations.find((c) => c.id === id);
  }

  /** Makes `conversation` (a new one when omitted) the one shown and reopened next session. */
  open(conversation: Conversation = newConversation()): Conversation {
    this.currentConversation = conversation;
    this.saveCurrent();
    return conversation;
  }

  /** Forgets a conversation; false when there was none with that id. */
  remove(id: string): boolean {
    if (!this.find(id)) return false;
    this.conversations = this.conversations.filter((c) => c.id !== id);
    this.save();
    return true;
  }

  /** Marks a conversation changed: newest first in history, saved. Its first question names it. */
  touch(conversation: Conversation): void {
    if (!conversation.title) conversation.title = titleOf(conversation.turns.find((t): t is UserTurn => t.role === 'user'));
    conversation.updatedAt = Date.now();
    this.conversations = [conversation, ...this.conversations.filter((c) => c !== conversation)];
    this.save();
  }

  summaries(): ConversationSummary[] {
    return this.conversations.map((c) => ({ id: c.id, title: c.title, updatedAt: c.updatedAt, turnCount: c.turns.length }));
  }

  private save(): void {
    this.conversations = this.conversations.filter((c) => c.turns.length > 0).slice(0, MAX_CONVERSATIONS);
    void this.memento.update(CONVERSATIONS_KEY, this.conversations).then(undefined, (e) => this.log(`chat view: could not save history: ${e}`));
    this.saveCurrent();
  }

  private saveCurrent(): void {
    void this.memento.update(CURRENT_CONVERSATION_KEY, this.currentConversation.id).then(undefined, (e) => this.log(`chat view: ${e}`));
  }
}

function newConversation(): Conversation {
  return { id: randomUUID(), title: '', updatedAt: Date.now(), turns: [] };
}

function titleOf(question: UserTurn | undefined): string {
  const line = (question?.text ?? '').replace(/\s+/g, ' ').trim();
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}

function loadConversations(saved: unknown): Conversation[] {
  if (!Array.isArray(saved)) return [];
  return saved
    .filter((c): c is Conversation =>
      typeof c === 'object' && c !== null && typeof c.id === 'string' && typeof c.title === 'string' && typeof c.updatedAt === 'number' && Array.isArray(c.turns))
    .slice(0, MAX_CONVERSATIONS);
}

/**
 * The turns before `question`, as chat messages. A question whose answer has no text is dropped
 * with it: it carries nothing the model could build on.
 */
export function historyBefore(turns: readonly ChatTurn[], question: UserTurn): Array<{ role: 'user' | 'assistant'; content: string }> {
  const end = turns.indexOf(question);
  const history: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (let i = 0; i < (end < 0 ? turns.length : end); i++) {
    const turn = turns[i];
    if (turn.role === 'user') {
      const answer = turns[i + 1];
      if (answer?.role === 'assistant' && !answer.text) {
        i++;
        continue;
      }
      const code = turn.selection ? `\n\n\`\`\`${turn.selection.language ?? ''}\n${turn.selection.text}\n\`\`\`` : '';
      history.push({ role: 'user', content: turn.text + code });
    } else if (turn.text) {
      history.push({ role: 'assistant', content: turn.text });
    }
  }
  return history;
}
