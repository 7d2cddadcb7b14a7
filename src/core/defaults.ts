// The models Lore uses when the user names none (the settings and the CLI alike). package.json's
// setting defaults repeat them (it cannot import); a unit test holds the two equal.
export const DEFAULT_EMBED_MODEL = 'nomic-embed-text';
export const DEFAULT_CHAT_MODEL = 'llama3.2';
