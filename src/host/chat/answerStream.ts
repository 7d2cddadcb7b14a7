// The one answer streaming at a time: runs it through the ChatBackend, forwards its sources, tokens
// and instructions to the view, and ends the turn exactly once (done, stopped or failed).
import type { AnswerError, AssistantTurn, HostToWebview, UserTurn } from '../../shared/protocol';
import { toAnswerError, type AnswerSink, type ChatBackend } from './backend';
import { historyBefore, type Conversation } from './conversations';

interface ActiveAnswer {
  turnId: string;
  conversationId: string;
  /** Ends the turn once: Stop ends it at once, whatever the backend does next. */
  finish(outcome: { stopped: true } | { error: AnswerError } | { done: true }): void;
}

export class AnswerStream {
  private active?: ActiveAnswer;

  constructor(
    private readonly backend: ChatBackend,
    /** Posts about a conversation (shown only while it is the current one). */
    private readonly postFor: (conversation: Conversation, message: HostToWebview) => void,
    /** An answer ended (done, stopped or failed), so its conversation changed. */
    private readonly ended: (conversation: Conversation) => void,
  ) {}

  get busy(): boolean {
    return this.active !== undefined;
  }

  /** The turn streaming into `conversation`, if any. */
  streamingIn(conversation: Conversation): string | undefined {
    return this.active?.conversationId === conversation.id ? this.active.turnId : undefined;
  }

  stop(): void {
    this.active?.finish({ stopped: true });
  }

  stopTurn(turnId: string): void {
    if (this.active?.turnId === turnId) this.active.finish({ stopped: true });
  }

  stopIn(conversationId: string): void {
    if (this.active?.conversationId === conversationId) this.active.finish({ stopped: true });
  }

  /** Streams `answer` to `question`; both are already the conversation's last turns. */
  run(conversation: Conversation, question: UserTurn, answer: AssistantTurn): void {
    const controller = new AbortController();
    const isLive = () => this.active?.turnId === answer.id;
    const active: ActiveAnswer = {
      turnId: answer.id,
      conversationId: conversation.id,
      finish: (outcome) => {
        if (!isLive()) return;
        this.active = undefined;
        controller.abort();
        if ('error' in outcome) {
          answer.error = outcome.error;
          this.postFor(conversation, { type: 'answerError', turnId: answer.id, ...outcome.error });
        } else {
          if ('stopped' in outcome) answer.stopped = true;
          this.postFor(conversation, { type: 'answerEnd', turnId: answer.id, ...('stopped' in outcome ? { stopped: true } : {}) });
        }
        this.ended(conversation);
      },
    };
    this.active = active;
    const sink: AnswerSink = {
      sources: (sources) => {
        if (!isLive()) return;
        answer.sources = sources.map((s) => ({ ...s }));
        this.postFor(conversation, { type: 'sources', turnId: answer.id, sources: answer.sources });
      },
      token: (text) => {
        if (!isLive() || !text) return;
        answer.text += text;
        this.postFor(conversation, { type: 'token', turnId: answer.id, text });
      },
      instructionsUsed: (paths) => {
        if (!isLive()) return;
        answer.instructions = [...paths];
        this.postFor(conversation, { type: 'instructionsUsed', turnId: answer.id, paths: answer.instructions });
      },
    };
    const request = {
      question: question.text,
      history: historyBefore(conversation.turns, question),
      model: answer.model,
      ...(question.selection ? { selection: question.selection } : {}),
    };
    let asked: Promise<void>;
    try {
      asked = this.backend.ask(request, sink, controller.signal);
    } catch (error) {
      asked = Promise.reject(error);
    }
    asked.then(
      () => active.finish(controller.signal.aborted ? { stopped: true } : { done: true }),
      (error: unknown) => active.finish(controller.signal.aborted ? { stopped: true } : { error: toAnswerError(error, answer.model) }),
    );
  }
}
