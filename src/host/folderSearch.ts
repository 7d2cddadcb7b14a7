// One folder's index as a part of a search over several folders (core/retrieve/acrossFolders.ts),
// for the chat and the language model tool alike.
import { lexicalQueryFor, type FolderSearch } from '../core/retrieve';
import { currentTextReader } from './currentText';
import type { FolderIndex } from './folderIndex';

export function folderSearch(fi: FolderIndex): FolderSearch {
  return {
    name: fi.folder.name,
    retrieve: (question, options) => fi.index.retriever.retrieve(question, options),
    bestLexicalScore: (question) => fi.index.store.lexicalSearch(lexicalQueryFor(question), 1)[0]?.score ?? 0,
    readCurrent: currentTextReader(fi),
  };
}
