export {
  buildPrompt,
  ContextTooSmallError,
  MESSAGE_OVERHEAD_TOKENS,
  type BuiltPrompt,
  type ChatMessage,
  type PromptInput,
  type PromptSelection,
} from './promptBuilder';
