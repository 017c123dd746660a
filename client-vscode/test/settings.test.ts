import { readFileSync } from "node:fs";
import { join } from "node:path";

import { beforeEach, describe, expect, it, vi } from "vitest";

import {
  CLIENT_COMMAND_CALLS,
  COMMAND_APPLY_PLAN,
  COMMAND_CANCEL_PLAN,
  COMMAND_PLAN_LOCATION,
  COMMAND_INSERT_PLAN_STEPS,
  COMMAND_INIT_WORKSPACE,
  COMMAND_TRUST_REPOSITORY,
  COMMAND_OPEN_PULL_REQUEST,
  COMMAND_PLAN_WISH,
  COMMAND_UNDO_APPLY,
  EXTENSION_SETTING_KEYS,
  SERVER_SETTING_KEYS,
} from "../src/names";
import {
  answerConfiguration,
  documentSelector,
  filterPattern,
  initializationOptions,
  readServerSettings,
  serverSettings,
} from "../src/settings";
import { Uri, configuration } from "./vscode";

interface Property { default?: unknown; type: unknown }
interface Manifest {
  contributes: {
    configuration: { properties: Record<string, Property> };
    commands: { command: string }[];
    menus: Record<string, { command: string }[]>;
  };
  extensionDependencies?: string[];
}

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as
  Manifest;
const properties = manifest.contributes.configuration.properties;

/** `wishcraft.*` as `getConfiguration` gives it with nothing set: package.json's defaults. */
function defaults(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties).map(([k, p]) => [k, p.default]));
}

const token = { isCancellationRequested: false, onCancellationRequested: vi.fn() };

beforeEach(() => {
  configuration.values = defaults();
  configuration.set.clear();
  configuration.scopes = [];
});

describe("the settings the server gets", () => {
  it("are package.json's defaults, nested, when nothing is set (the wish globs left out)", () => {
    expect(initializationOptions()).toEqual({
      wishcraft: {
        diagnostics: { debounceMs: 15, gates: true, closedFiles: 500 },
        registry: { path: null },
        lint: {},
        plan: { folder: "", model: "" },
        inlayHints: { callsLeft: true, tierLimits: true },
      },
    });
  });

  it("carry the wish globs once the user sets them, so [files] globs applies until then", () => {
    expect(readServerSettings().files).toBeUndefined();
    configuration.values["wishcraft.files.globs"] = ["**/*.spell"];
    configuration.set.add("wishcraft.files.globs");
    expect(readServerSettings().files).toEqual({ globs: ["**/*.spell"] });
  });

  it("carry the user's values and leave out the extension's own settings", () => {
    configuration.values["wishcraft.diagnostics.debounceMs"] = 200;
    configuration.values["wishcraft.lint"] = { planMaxSteps: 5 };
    configuration.values["wishcraft.server.path"] = "/opt/python";
    const sent = serverSettings({ get: (key) => configuration.values[`wishcraft.${key}`] });
    expect(sent.diagnostics).toEqual({ debounceMs: 200, gates: true, closedFiles: 500 });
    expect(sent.lint).toEqual({ planMaxSteps: 5 });
    expect(Object.keys(sent).sort()).toEqual(["diagnostics", "files", "inlayHints", "lint", "plan",
      "registry"]);
  });

  it("answer workspace/configuration for `wishcraft` and pass other sections on", async () => {
    configuration.values["wishcraft.plan.model"] = "gpt-5-codex";
    const next = vi.fn(async () => [{ tabSize: 2 }, null]);
    const result = await answerConfiguration({
      items: [{ section: "editor" }, { section: "wishcraft", scopeUri: "file:///ws/a.wish.yaml" },
        { section: "files" }],
    }, token, next);
    expect(next).toHaveBeenCalledWith({ items: [{ section: "editor" }, { section: "files" }] },
      token);
    expect(result[0]).toEqual({ tabSize: 2 });
    expect((result[1] as { plan: unknown }).plan).toEqual({ folder: "", model: "gpt-5-codex" });
    expect(result[2]).toBeNull();
    expect(configuration.scopes.at(-1)?.toString()).toBe(
      Uri.parse("file:///ws/a.wish.yaml").toString());
  });

  it("do not call the default handler when only `wishcraft` is asked", async () => {
    const next = vi.fn();
    const result = await answerConfiguration({ items: [{ section: "wishcraft" }] }, token, next);
    expect(next).not.toHaveBeenCalled();
    expect(result).toHaveLength(1);
  });
});

describe("the documents the server gets", () => {
  it.each([
    ["**/*.wish.yaml", "**/*.wish.yaml"],
    ["*.wish.yaml", "**/*.wish.yaml"],
    ["wishes/*.yaml", "**/wishes/*.yaml"],
    ["/abs/wishes/*.yaml", "/abs/wishes/*.yaml"],
    ["data\\wishes\\*.yml", "**/data/wishes/*.yml"],
  ])("the glob %s is the filter pattern %s", (glob, pattern) => {
    expect(filterPattern(glob)).toBe(pattern);
  });

  it("are YAML files on disk matching a wish glob, and registries", () => {
    expect(documentSelector(["*.wish.yaml", "**/*.wish.yaml", " "])).toEqual([
      { scheme: "file", language: "yaml", pattern: "**/*.wish.yaml" },
      { scheme: "file", language: "yaml", pattern: "**/conduits/registry.{yaml,yml}" },
    ]);
  });
});

describe("package.json", () => {
  it("contributes exactly the server's settings and the extension's own", () => {
    expect(Object.keys(properties).sort()).toEqual(
      [...SERVER_SETTING_KEYS, ...EXTENSION_SETTING_KEYS].map((k) => `wishcraft.${k}`).sort());
  });

  it("gives the client commands other ids than the server's, which the client registers", () => {
    const serverCommands = [
      COMMAND_PLAN_WISH, COMMAND_INSERT_PLAN_STEPS, COMMAND_CANCEL_PLAN, COMMAND_PLAN_LOCATION,
      COMMAND_APPLY_PLAN, COMMAND_UNDO_APPLY, COMMAND_OPEN_PULL_REQUEST, COMMAND_INIT_WORKSPACE,
      COMMAND_TRUST_REPOSITORY,
    ];
    const contributed = manifest.contributes.commands.map((c) => c.command);
    expect(contributed.filter((c) => serverCommands.includes(c))).toEqual([]);
    for (const [client, server] of Object.entries(CLIENT_COMMAND_CALLS)) {
      expect(contributed).toContain(client);
      expect(serverCommands).toContain(server);
    }
    for (const entries of Object.values(manifest.contributes.menus)) {
      for (const entry of entries) {
        expect(contributed).toContain(entry.command);
      }
    }
  });

  it("depends on no other extension", () => {
    expect(manifest.extensionDependencies).toBeUndefined();
  });
});
