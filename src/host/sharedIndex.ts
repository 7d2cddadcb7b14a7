// `lore.sharedIndex`: before a folder's first sync, seed its index from the team's bundle (a path or
// an https URL, fetched with progress in the status bar). A bundle already applied to this folder
// (same checksum) is not read again; one that cannot be used is reported once and changes nothing.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BundleError, fetchBundle, readBundleHeader, seedFromBundle } from '../core/bundle';
import type { FolderIndex } from './folderIndex';
import type { LoreSettings } from './settings';

const APPLIED_KEY = 'lore.sharedIndex.applied';

export async function seedFromSharedIndex(
  fi: FolderIndex,
  settings: LoreSettings,
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
): Promise<{ problem?: string }> {
  if (!settings.sharedIndex) return {};
  const name = fi.folder.name;
  try {
    const file = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Lore: shared index' }, (progress) =>
      fetchBundle(settings.sharedIndex, {
        cacheDir: path.join(context.globalStorageUri.fsPath, 'shared-index'),
        onProgress: (received, total) => progress.report({ message: total ? `${Math.round((100 * received) / total)}%` : `${Math.round(received / 1024 / 1024)} MiB` }),
      }),
    );
    const { header } = await readBundleHeader(file);
    const applied = context.workspaceState.get<Record<string, string>>(APPLIED_KEY) ?? {};
    const key = fi.folder.uri.toString();
    if (applied[key] === header.payloadSha256) return {};
    const seeded = await seedFromBundle({ file, store: fi.index.store, cache: fi.index.embedCache, embedModel: settings.embedModel });
    await context.workspaceState.update(APPLIED_KEY, { ...applied, [key]: header.payloadSha256 });
    log.info(`[${name}] seeded from the shared index: ${seeded.files} file(s) taken, ${seeded.vectors} vector(s) reusable`);
    return {};
  } catch (err) {
    const reason = err instanceof BundleError ? err.message : err instanceof Error ? err.message : String(err);
    log.warn(`[${name}] the shared index ${settings.sharedIndex} was not used: ${reason}`);
    return { problem: `Lore did not use the shared index (${reason}); ${name} is indexed here instead.` };
  }
}
