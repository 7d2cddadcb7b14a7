import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CHAT_MODEL, DEFAULT_EMBED_MODEL } from '../../../src/core/defaults';
import { DEFAULT_OLLAMA_HOST } from '../../../src/core/ollama';
import { searchMode } from '../../../src/core/searchMode';
import { defaultStoreDir, storeDirName } from '../../../src/core/storeLocation';

describe('one place for defaults, the search mode and the store directory', () => {
  it("package.json's setting defaults name the same models and host as the code", () => {
    const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8'));
    const settings = manifest.contributes.configuration.properties;
    assert.equal(settings['lore.embedModel'].default, DEFAULT_EMBED_MODEL);
    assert.equal(settings['lore.chatModel'].default, DEFAULT_CHAT_MODEL);
    assert.equal(settings['lore.ollamaHost'].default, DEFAULT_OLLAMA_HOST);
  });

  it('is hybrid only when embeddings work and every chunk has its vector', () => {
    assert.equal(searchMode({ chunks: 10, vectors: 10, embeddingsWork: true }), 'hybrid');
    assert.equal(searchMode({ chunks: 10, vectors: 9, embeddingsWork: true }), 'lexical');
    assert.equal(searchMode({ chunks: 10, vectors: 10, embeddingsWork: false }), 'lexical');
    assert.equal(searchMode({ chunks: 0, vectors: 0, embeddingsWork: true }), 'lexical');
  });

  it('names a store directory after the folder and a hash of its identity', () => {
    assert.match(storeDirName('my repo!', 'file:///home/a/my%20repo!'), /^my_repo_-[0-9a-f]{12}$/);
    assert.notEqual(storeDirName('x', '/a/x'), storeDirName('x', '/b/x'));
    assert.match(storeDirName('', '/'), /^root-[0-9a-f]{12}$/);
    assert.equal(defaultStoreDir('/some/where/proj', { LORE_HOME: '/lore-home' }), path.join('/lore-home', storeDirName('proj', path.resolve('/some/where/proj'))));
  });
});
