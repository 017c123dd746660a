import { describe, expect, it } from "vitest";

import { documentSelector } from "../src/settings";
import { effectiveGlobs, repositoryGlobs, upward, WishGlobs } from "../src/wishGlobs";

const DEFAULTS = ["**/*.wish.yaml", "**/*.wish.yml", "**/wishes/**/*.yaml", "**/wishes/**/*.yml"];

describe("a repository's [files] globs", () => {
  it("are read from wishcraft.toml", () => {
    expect(repositoryGlobs('[files]\nglobs = ["*.spell", "quests/*.yaml", 3, " "]\n'))
      .toEqual(["*.spell", "quests/*.yaml"]);
  });

  it.each([
    ["no [files] table", '[pr]\ncheck = "make"\n'],
    ["globs not a list", '[files]\nglobs = "*.spell"\n'],
    ["files not a table", 'files = ["*.spell"]\n'],
    ["a file that does not parse", "[files\nglobs = [\n"],
  ])("are none with %s", (_, text) => {
    expect(repositoryGlobs(text)).toBeUndefined();
  });

  it("widen the defaults unless the user set the setting, which wins", () => {
    expect(effectiveGlobs(DEFAULTS, false, [["*.spell"], ["*.wish.yaml", "q/*.yaml"]]))
      .toEqual([...DEFAULTS, "*.spell", "*.wish.yaml", "q/*.yaml"]);
    expect(effectiveGlobs(["mine/*.yaml"], true, [["*.spell"]])).toEqual(["mine/*.yaml"]);
  });

  it("send a non-YAML wish to the server whatever its language mode", () => {
    expect(documentSelector(["*.spell", "**/*.wish.yaml"])).toEqual([
      { scheme: "file", pattern: "**/*.spell" },
      { scheme: "file", language: "yaml", pattern: "**/*.wish.yaml" },
      { scheme: "file", language: "yaml", pattern: "**/conduits/registry.{yaml,yml}" },
    ]);
  });
});

describe("WishGlobs", () => {
  function sources(files: Record<string, string>, userSet = false) {
    return {
      configured: () => DEFAULTS,
      userSet: () => userSet,
      folders: () => ["/ws/a", "/ws/b"],
      read: (folder: string, relative: string) => Promise.resolve(files[`${folder}/${relative}`]),
    };
  }

  it("reads every folder's wishcraft.toml and says when the globs changed", async () => {
    const files: Record<string, string> = {
      "/ws/a/data/config/wishcraft.toml": '[files]\nglobs = ["*.spell"]\n',
    };
    const globs = new WishGlobs(sources(files));
    expect(await globs.refresh()).toBe(true);
    expect(globs.current).toEqual([...DEFAULTS, "*.spell"]);
    expect(await globs.refresh()).toBe(false);
    files["/ws/b/data/config/wishcraft.toml"] = '[files]\nglobs = ["*.quest"]\n';
    expect(await globs.refresh()).toBe(true);
    expect(globs.current).toEqual([...DEFAULTS, "*.spell", "*.quest"]);
    delete files["/ws/a/data/config/wishcraft.toml"];
    delete files["/ws/b/data/config/wishcraft.toml"];
    expect(await globs.refresh()).toBe(true);
    expect(globs.current).toEqual(DEFAULTS);
  });

  it("reads the nearest wishcraft.toml above a folder opened below a repository's root",
    async () => {
      const files: Record<string, string> = {
        "/ws/data/config/wishcraft.toml": '[files]\nglobs = ["*.spell"]\n',
        "/data/config/wishcraft.toml": '[files]\nglobs = ["*.far"]\n',
      };
      const globs = new WishGlobs({ ...sources(files), folders: () => ["/ws/a"] });
      expect(await globs.refresh()).toBe(true);
      expect(globs.current).toEqual([...DEFAULTS, "*.spell"]); // the nearest only, as the server
      expect(globs.configFolders).toEqual(["/ws"]);
      files["/ws/a/data/config/wishcraft.toml"] = "[lint]\n"; // the folder's own wins
      expect(await globs.refresh()).toBe(true);
      expect(globs.current).toEqual(DEFAULTS);
      expect(globs.configFolders).toEqual(["/ws/a"]);
    });

  it("walks up to the file system's root, nearest first", () => {
    expect(upward("/ws/a/b")).toEqual(["/ws/a/b", "/ws/a", "/ws", "/"]);
    expect(upward("/")).toEqual(["/"]);
  });

  it("does not read the repositories when the user set the setting", async () => {
    const read: string[] = [];
    const globs = new WishGlobs({
      ...sources({}, true),
      read: (folder, relative) => {
        read.push(`${folder}/${relative}`);
        return Promise.resolve('[files]\nglobs = ["*.spell"]\n');
      },
    });
    expect(await globs.refresh()).toBe(false);
    expect(read).toEqual([]);
    expect(globs.current).toEqual(DEFAULTS);
  });
});
