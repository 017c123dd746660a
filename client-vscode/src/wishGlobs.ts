/**
 * Which files VS Code hands the server: the wish globs, widened by each repository's own.
 *
 * The server reads `[files] globs` of a repository's `data/config/wishcraft.toml` while the
 * `wishcraft.files.globs` setting is unset, as `wishcraft lint` does. VS Code only sends the
 * server the documents its selector matches, so a repository whose globs name other files
 * (`*.spell`, `quests/*.yaml`) must widen the selector too, or its wishes would get nothing in
 * the editor. The selector is a superset: the defaults plus every workspace folder's globs; the
 * server still decides per repository what a wish is. A changed wishcraft.toml restarts the
 * server with the new selector (`refresh` says when). TOML is read with smol-toml (small, no
 * dependencies, TOML 1.0), bundled into the extension like vscode-languageclient.
 */
import * as path from "node:path";
import { parse } from "smol-toml";

/** Where a repository keeps its wishcraft.toml, relative to its root. */
export const REPOSITORY_CONFIG = "data/config/wishcraft.toml";

/**
 * `[files] globs` of a wishcraft.toml's text, or undefined when it names none or does not
 * parse (the server and `wishcraft lint` report a broken file; the defaults still apply).
 */
export function repositoryGlobs(text: string): string[] | undefined {
  let document: Record<string, unknown>;
  try {
    document = parse(text);
  } catch {
    return undefined;
  }
  const files = document.files;
  if (typeof files !== "object" || files === null || Array.isArray(files)) {
    return undefined;
  }
  const globs = (files as Record<string, unknown>).globs;
  if (!Array.isArray(globs)) {
    return undefined;
  }
  return globs.filter((g): g is string => typeof g === "string" && g.trim() !== "");
}

/**
 * The globs the selector is built from: the user's setting when they set it (it wins on the
 * server too); otherwise the setting's default and every repository's `[files] globs`.
 */
export function effectiveGlobs(configured: readonly string[], userSet: boolean,
  repositories: readonly (readonly string[])[]): string[] {
  if (userSet) {
    return [...configured];
  }
  return [...new Set([...configured, ...repositories.flat()])];
}

/** Reads a file's text, or undefined when it does not exist or cannot be read. */
export type ReadText = (folder: string, relative: string) => Promise<string | undefined>;

/**
 * `folder` and each folder above it, nearest first: where a wishcraft.toml governing the files
 * of `folder` may be, as the server finds it (upward from each file).
 */
export function upward(folder: string): string[] {
  const folders = [folder];
  for (let parent = path.dirname(folder); parent !== folders[folders.length - 1];
    parent = path.dirname(parent)) {
    folders.push(parent);
  }
  return folders;
}

/** The current effective globs, re-read on demand. */
export class WishGlobs {
  private globs: string[];
  private found: string[] = [];

  constructor(private readonly sources: {
    configured: () => readonly string[];
    userSet: () => boolean;
    folders: () => readonly string[];
    read: ReadText;
  }) {
    this.globs = [...sources.configured()];
  }

  /** The globs in use. */
  get current(): readonly string[] {
    return this.globs;
  }

  /**
   * The folders holding the wishcraft.toml files the globs were last read from (a workspace
   * folder, or the nearest folder above one that has the file), for watching those outside
   * the workspace.
   */
  get configFolders(): readonly string[] {
    return this.found;
  }

  /**
   * Read the setting and the wishcraft.toml of every folder (its own, else the nearest above
   * it) again; true when the globs changed.
   */
  async refresh(): Promise<boolean> {
    const repositories: string[][] = [];
    const found: string[] = [];
    if (!this.sources.userSet()) {
      for (const folder of this.sources.folders()) {
        // The nearest wishcraft.toml at or above the folder, as the server looks upward.
        for (const candidate of upward(folder)) {
          const text = await this.sources.read(candidate, REPOSITORY_CONFIG);
          if (text === undefined) {
            continue;
          }
          found.push(candidate);
          const globs = repositoryGlobs(text);
          if (globs !== undefined) {
            repositories.push(globs);
          }
          break;
        }
      }
    }
    this.found = found;
    const next = effectiveGlobs(this.sources.configured(), this.sources.userSet(), repositories);
    const changed = next.length !== this.globs.length || next.some((g, i) => g !== this.globs[i]);
    this.globs = next;
    return changed;
  }
}
