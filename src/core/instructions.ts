// Project conventions that go into the system prompt ("business context"): Lore's own file first,
// then the files other assistants already read, so a team writes them once.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { maskSecrets } from './files';

export const INSTRUCTION_FILES = ['.lore/instructions.md', 'AGENTS.md', '.github/copilot-instructions.md'];
/** Instructions compete with sources for the context window: cap each file. */
const MAX_INSTRUCTION_CHARS = 8000;

export interface WorkspaceInstructions {
  path: string;
  text: string;
}

export async function loadInstructions(root: string): Promise<WorkspaceInstructions[]> {
  const found: WorkspaceInstructions[] = [];
  for (const rel of INSTRUCTION_FILES) {
    const text = await fs.readFile(path.join(root, ...rel.split('/')), 'utf8').catch(() => undefined);
    if (!text?.trim()) continue;
    const clipped = text.length > MAX_INSTRUCTION_CHARS ? text.slice(0, MAX_INSTRUCTION_CHARS) + '\n…' : text;
    found.push({ path: rel, text: maskSecrets(clipped).text });
  }
  return found;
}
