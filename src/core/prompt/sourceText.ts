// Workspace text as it goes into a prompt: fenced so that nothing inside can close the fence (the
// answer's sources and the rerank's candidates alike), and cut without splitting a character.

/** `text` in a code fence longer than any backtick run inside it, with `language` as the info string when safe. */
export function fenced(text: string, language: string): string {
  const fence = '`'.repeat(fenceLength(text));
  // The info string must not carry a backtick or a newline into the fence line.
  const info = /^[\w+#.-]*$/.test(language) ? language : '';
  return `${fence}${info}\n${text}\n${fence}`;
}

/** How many backticks the fence around `text` takes. */
export function fenceLength(text: string): number {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return Math.max(3, longest + 1);
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
export function cutChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end);
}
