export {
  getChatModelInfo,
  streamChat,
  standaloneQuery,
  ChatModelMissingError,
  ChatTimeoutError,
  ChatFailedError,
  FALLBACK_CONTEXT_LENGTH,
  DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_STANDALONE_TIMEOUT_MS,
  type ChatModelInfo,
} from './chat';
