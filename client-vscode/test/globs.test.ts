/**
 * The wish globs as the editor reads them agree with the server's FILE dialect: the table in
 * tests/fixtures/glob_dialects.json (which tests/unit/test_glob_dialects.py also runs) is
 * matched here through `filterPattern` and minimatch, the glob matcher vscode-languageclient
 * ships, with `dot` on as VS Code matches dot files.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import minimatch from "minimatch";
import { describe, expect, it } from "vitest";

import { filterPattern } from "../src/settings";

interface Row {
  id: string;
  globs: string[];
  path: string;
  file: boolean | "refused";
  scope: boolean;
}

const table = JSON.parse(readFileSync(
  join(__dirname, "..", "..", "tests", "fixtures", "glob_dialects.json"), "utf8")) as
  { rows: Row[] };
const rows = table.rows.filter((row) => row.file !== "refused");

/** Whether the document selector built from `globs` takes the document at `path`. */
function editorMatches(globs: readonly string[], path: string): boolean {
  return globs.some((glob) => minimatch(path, filterPattern(glob), { dot: true }));
}

describe("the wish globs in the editor", () => {
  it("cover the shared table", () => {
    expect(rows.length).toBeGreaterThan(10);
  });

  it.each(rows.map((row) => [row.id, row] as const))("%s", (_id, row) => {
    expect(editorMatches(row.globs, row.path)).toBe(row.file);
  });
});
