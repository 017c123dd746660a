/**
 * What the client tells the server about settings, and which documents go to the server.
 *
 * The defaults live in package.json only: `getConfiguration` fills them in, and the server's
 * pydantic model (wishcraft.lsp.settings.Settings) validates what it gets.
 */
import * as vscode from "vscode";
import type { ConfigurationParams, DocumentSelector } from "vscode-languageclient";

import { REGISTRY_GLOB, SERVER_SETTING_KEYS, SETTINGS_SECTION } from "./names";

/** The `wishcraft` section as the server reads it: nested objects, server keys only. */
export type ServerSettings = Record<string, unknown>;

/** The part of `WorkspaceConfiguration` this module reads (a plain object in tests). */
export interface ConfigurationReader {
  get(section: string): unknown;
  inspect?(section: string): Record<string, unknown> | undefined;
}

/**
 * Settings sent only when the user set them: while `wishcraft.files.globs` is unset the server
 * uses `[files] globs` of the repository's wishcraft.toml, as `wishcraft lint` does, and only
 * then package.json's default (which the server shares).
 */
const SENT_ONLY_WHEN_SET: readonly string[] = ["files.globs"];

/** Whether the user set `key` in some scope (not only package.json's default). */
export function isSet(config: ConfigurationReader, key: string): boolean {
  const found = config.inspect?.(key);
  if (found === undefined) {
    return true; // a reader that cannot tell: send what it gives
  }
  return Object.entries(found).some(([scope, value]) =>
    scope !== "key" && !scope.startsWith("default") && value !== undefined);
}

/** Build the nested `wishcraft` section from the flat keys the server knows. */
export function serverSettings(config: ConfigurationReader): ServerSettings {
  const out: ServerSettings = {};
  for (const key of SERVER_SETTING_KEYS) {
    const value = config.get(key);
    if (value === undefined || (SENT_ONLY_WHEN_SET.includes(key) && !isSet(config, key))) {
      continue;
    }
    const parts = key.split(".");
    const leaf = parts.pop() as string;
    let node = out;
    for (const part of parts) {
      node = (node[part] ??= {}) as ServerSettings;
    }
    node[leaf] = value;
  }
  return out;
}

/** The settings section for a scope (a resource uri, or the whole window). */
export function readServerSettings(scope?: vscode.Uri): ServerSettings {
  return serverSettings(vscode.workspace.getConfiguration(SETTINGS_SECTION, scope));
}

/** `initializationOptions`: the settings, for clients' first request before configuration. */
export function initializationOptions(): { [SETTINGS_SECTION]: ServerSettings } {
  return { [SETTINGS_SECTION]: readServerSettings() };
}

/**
 * A wish glob as a VS Code document filter pattern. The server's FILE dialect
 * (server/wishcraft/globs.py) matches a relative pattern at any depth (as VS Code's file
 * associations do), while a document filter matches the whole path, so such a pattern gets a
 * leading `**` + `/`. test/globs.test.ts runs the server's glob table through this function.
 */
export function filterPattern(glob: string): string {
  const text = glob.replace(/\\/g, "/");
  return !text.includes("/") || !(text.startsWith("/") || text.startsWith("**"))
    ? `**/${text}`
    : text;
}

/**
 * A document filter for a pattern: YAML documents for a pattern of YAML files, any document
 * for another (a repository's `*.spell` wishes are not in VS Code's YAML mode).
 */
function fileFilter(pattern: string): { scheme: string; language?: string; pattern: string } {
  return /\.(ya?ml|\{yaml,yml\}|\{yml,yaml\})$/i.test(pattern)
    ? { scheme: "file", language: "yaml", pattern }
    : { scheme: "file", pattern };
}

/** Files on disk matching the wish globs. */
export function wishSelector(globs: readonly string[]): DocumentSelector {
  const patterns = [...new Set(globs.filter((g) => g.trim() !== "").map(filterPattern))];
  return patterns.map(fileFilter);
}

/** The documents the server handles: wishes, and registries whatever the globs say. */
export function documentSelector(globs: readonly string[]): DocumentSelector {
  const patterns = new Set([...globs.filter((g) => g.trim() !== "").map(filterPattern),
    REGISTRY_GLOB]);
  return [...patterns].map(fileFilter);
}

/** The wish globs currently configured (the package.json default when unset). */
export function configuredGlobs(): string[] {
  const globs = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<unknown>("files.globs");
  return Array.isArray(globs) ? globs.filter((g): g is string => typeof g === "string") : [];
}

type ConfigurationNext = (params: ConfigurationParams, token: vscode.CancellationToken) =>
  unknown;

/**
 * Answer `workspace/configuration` for the `wishcraft` section with the server keys only;
 * other sections go to vscode-languageclient's default handler.
 */
export async function answerConfiguration(params: ConfigurationParams,
  token: vscode.CancellationToken, next: ConfigurationNext): Promise<unknown[]> {
  const others = params.items.filter((item) => item.section !== SETTINGS_SECTION);
  const defaults = others.length > 0
    ? await Promise.resolve(next({ items: others }, token))
    : [];
  const answered = Array.isArray(defaults) ? [...defaults as unknown[]] : [];
  return params.items.map((item) => item.section === SETTINGS_SECTION
    ? readServerSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
    : answered.shift() ?? null);
}
