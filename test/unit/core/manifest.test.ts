// The extension manifest is user-facing API: these rules are what a polished extension promises.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../../package.json'), 'utf8'));
const commandsSource = readFileSync(path.join(__dirname, '../../../../src/commands.ts'), 'utf8');

describe('package.json manifest', () => {
  it('gives every command the Lore category and a title', () => {
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'Lore', c.command);
      assert.ok(c.title && !c.title.startsWith('Lore'), `${c.command} title should not repeat the category`);
    }
  });

  it('contributes exactly the command ids the code registers', () => {
    const registered = [...commandsSource.matchAll(/'(lore\.[A-Za-z.]+)'/g)].map((m) => m[1]).sort();
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, registered);
  });

  it('documents every setting with markdownDescription and an explicit scope', () => {
    for (const [key, setting] of Object.entries<Record<string, unknown>>(manifest.contributes.configuration.properties)) {
      assert.ok(setting.markdownDescription, `${key} needs markdownDescription`);
      assert.ok(setting.scope, `${key} needs an explicit scope`);
    }
  });

  it('lets no workspace decide where code is sent', () => {
    const host = manifest.contributes.configuration.properties['lore.ollamaHost'];
    assert.equal(host.scope, 'application', 'only user settings may set the Ollama host');
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.ok(restricted.includes('lore.ollamaHost'));
    // Several embedding hosts and the shared index decide where code goes and what is read: the user's alone.
    assert.equal(manifest.contributes.configuration.properties['lore.embedHosts'].scope, 'application');
    assert.equal(manifest.contributes.configuration.properties['lore.sharedIndex'].scope, 'machine');
    assert.ok(restricted.includes('lore.embedHosts') && restricted.includes('lore.sharedIndex'));
  });

  it('gates menu items that depend on state with when clauses', () => {
    for (const items of Object.values<Array<{ when?: string }>>(manifest.contributes.menus)) {
      for (const item of items) assert.ok(item.when, JSON.stringify(item));
    }
  });
});
