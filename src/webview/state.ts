// The chat view's state and how host messages change it. Pure (no DOM): main.ts renders whatever
// this produces, and saves it with `vscode.setState` so a hidden-then-shown view paints at once.
import type { AssistantTurn, ChatTurn, ConversationSummary, HostToWebview, IndexStateMessage } from '../shared/protocol';

export interface PullState {
  status: string;
  completed?: number;
  total?: number;
  done: boolean;
  error?: string;
}

export interface ViewState {
  conversationId: string;
  turns: ChatTurn[];
  conversations: ConversationSummary[];
  models: string[];
  selectedModel: string;
  /** Undefined until the host's `init` (or a saved state) says otherwise. */
  indexState?: IndexStateMessage;
  host: string;
  streamingTurnId?: string;
  /** Model pulls by model name. */
  pulls: Record<string, PullState>;
  /** The unsent question, kept across hide/show. */
  draft: string;
}

export const INITIAL_STATE: ViewState = {
  conversationId: '',
  turns: [],
  conversations: [],
  models: [],
  selectedModel: '',
  host: '',
  pulls: {},
  draft: '',
};

/** Accepts what `vscode.getState()` returned, if it still has the shape this version saves. */
export function restoreState(saved: unknown): ViewState {
  if (typeof saved !== 'object' || saved === null) return INITIAL_STATE;
  const s = saved as Partial<ViewState>;
  if (!Array.isArray(s.turns) || typeof s.conversationId !== 'string') return INITIAL_STATE;
  return {
    ...INITIAL_STATE,
    conversationId: s.conversationId,
    turns: s.turns,
    conversations: Array.isArray(s.conversations) ? s.conversations : [],
    models: Array.isArray(s.models) ? s.models : [],
    selectedModel: typeof s.selectedModel === 'string' ? s.selectedModel : '',
    indexState: s.indexState,
    host: typeof s.host === 'string' ? s.host : '',
    draft: typeof s.draft === 'string' ? s.draft : '',
    // A stream the saved state remembers may be long over; the host's `init` says if it is not.
    streamingTurnId: undefined,
  };
}

export function reduce(state: ViewState, msg: HostToWebview): ViewState {
  switch (msg.type) {
    case 'init':
      return {
        ...state,
        conversationId: msg.conversationId,
        turns: msg.turns,
        conversations: msg.conversations,
        models: msg.models,
        selectedModel: msg.selectedModel,
        indexState: msg.indexState,
        host: msg.host,
        streamingTurnId: msg.streamingTurnId,
        pulls: {},
      };
    case 'indexState': {
      const { type: _type, ...indexState } = msg;
      return { ...state, indexState };
    }
    case 'answerStart': {
      const fresh: AssistantTurn = { role: 'assistant', id: msg.turnId, model: msg.model, text: '', sources: [] };
      const exists = state.turns.some((t) => t.id === msg.turnId);
      // A retry restarts the same turn in place.
      const turns = exists ? state.turns.map((t) => (t.id === msg.turnId ? fresh : t)) : [...state.turns, fresh];
      return { ...state, turns, streamingTurnId: msg.turnId };
    }
    case 'sources':
      return updateAnswer(state, msg.turnId, (t) => ({ ...t, sources: msg.sources }));
    case 'token':
      return updateAnswer(state, msg.turnId, (t) => ({ ...t, text: t.text + msg.text }));
    case 'instructionsUsed':
      return updateAnswer(state, msg.turnId, (t) => ({ ...t, instructions: msg.paths }));
    case 'answerEnd':
      return endStream(updateAnswer(state, msg.turnId, (t) => (msg.stopped ? { ...t, stopped: true } : t)), msg.turnId);
    case 'answerError': {
      const error = { kind: msg.kind, message: msg.message, ...(msg.model === undefined ? {} : { model: msg.model }) };
      return endStream(updateAnswer(state, msg.turnId, (t) => ({ ...t, error })), msg.turnId);
    }
    case 'pullProgress': {
      const pull: PullState = { status: msg.status, completed: msg.completed, total: msg.total, done: msg.done === true, error: msg.error };
      return { ...state, pulls: { ...state.pulls, [msg.model]: pull } };
    }
    case 'explain':
      return { ...state, turns: [...state.turns, msg.turn] };
    case 'conversations':
      return { ...state, conversations: msg.conversations };
    case 'conversation':
      return { ...state, conversationId: msg.conversationId, turns: msg.turns, streamingTurnId: msg.streamingTurnId };
    case 'models':
      return { ...state, models: msg.models, selectedModel: msg.selectedModel };
    default:
      // A message this version does not know (a newer host): nothing to change.
      return state;
  }
}

/** The user's question, shown at once; the host answers with `answerStart`. */
export function addQuestion(state: ViewState, text: string, id: string): ViewState {
  return { ...state, turns: [...state.turns, { role: 'user', id, text }], draft: '' };
}

/** The assistant turn that may be retried: only the last one, and only when it failed or stopped. */
export function retryableTurnId(state: ViewState): string | undefined {
  const last = state.turns[state.turns.length - 1];
  if (!last || last.role !== 'assistant' || state.streamingTurnId !== undefined) return undefined;
  return last.error || last.stopped ? last.id : undefined;
}

function updateAnswer(state: ViewState, turnId: string, change: (t: AssistantTurn) => AssistantTurn): ViewState {
  let changed = false;
  const turns = state.turns.map((t) => {
    if (t.id !== turnId || t.role !== 'assistant') return t;
    changed = true;
    return change(t);
  });
  return changed ? { ...state, turns } : state;
}

function endStream(state: ViewState, turnId: string): ViewState {
  return state.streamingTurnId === turnId ? { ...state, streamingTurnId: undefined } : state;
}
