import * as assert from 'node:assert/strict';
import { normalizeHost } from '../../../src/core/ollama';

describe('normalizeHost', () => {
  const noEnv = {};

  it('falls back to $OLLAMA_HOST, then the local default', () => {
    assert.equal(normalizeHost(undefined, noEnv), 'http://127.0.0.1:11434');
    assert.equal(normalizeHost('   ', noEnv), 'http://127.0.0.1:11434');
    assert.equal(normalizeHost('', { OLLAMA_HOST: 'gpu-box:8080' }), 'http://gpu-box:8080');
    assert.equal(normalizeHost('http://other:1', { OLLAMA_HOST: 'gpu-box:8080' }), 'http://other:1');
  });

  it('reads process.env when no environment is given', () => {
    const saved = process.env.OLLAMA_HOST;
    process.env.OLLAMA_HOST = 'envhost:1234';
    try {
      assert.equal(normalizeHost(undefined), 'http://envhost:1234');
    } finally {
      if (saved === undefined) delete process.env.OLLAMA_HOST;
      else process.env.OLLAMA_HOST = saved;
    }
  });

  it('adds http:// and Ollama\'s port to a bare host, like OLLAMA_HOST does', () => {
    assert.equal(normalizeHost('localhost', noEnv), 'http://localhost:11434');
    assert.equal(normalizeHost('10.0.0.5:9000', noEnv), 'http://10.0.0.5:9000');
    assert.equal(normalizeHost(':7000', noEnv), 'http://127.0.0.1:7000');
  });

  it('keeps an explicit scheme, port and path, without the trailing slash', () => {
    assert.equal(normalizeHost('https://ollama.example.com/', noEnv), 'https://ollama.example.com');
    assert.equal(normalizeHost('HTTP://Box:11434/proxy/ollama/', noEnv), 'http://box:11434/proxy/ollama');
    assert.equal(normalizeHost('  http://127.0.0.1:11434//  ', noEnv), 'http://127.0.0.1:11434');
  });

  it('turns bind-all addresses into loopback', () => {
    assert.equal(normalizeHost('0.0.0.0', noEnv), 'http://127.0.0.1:11434');
    assert.equal(normalizeHost('http://0.0.0.0:11434', noEnv), 'http://127.0.0.1:11434');
    assert.equal(normalizeHost('http://[::]:11434', noEnv), 'http://[::1]:11434');
  });

  it('rejects other schemes, credentials and garbage with a clear error', () => {
    assert.throws(() => normalizeHost('ftp://host:21', noEnv), /Unsupported Ollama host "ftp:\/\/host:21": use an http:\/\/ or https:\/\/ URL/);
    assert.throws(() => normalizeHost('file:///etc/passwd', noEnv), /Unsupported Ollama host/);
    assert.throws(() => normalizeHost('', { OLLAMA_HOST: 'ws://x' }), /Unsupported Ollama host "ws:\/\/x"/);
    assert.throws(() => normalizeHost('http://user:secret@host:1', noEnv), /must not contain a user name or password/);
    assert.throws(() => normalizeHost('http://', noEnv), /Invalid Ollama host/);
    assert.throws(() => normalizeHost('host with spaces', noEnv), /Invalid Ollama host/);
  });
});
