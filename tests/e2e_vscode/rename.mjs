// The rename part of the VS Code end-to-end test (issue 25): F2 on a conduit id in the one
// open wish renames it in the registry and in two wishes that are never opened, and Save All
// leaves them on disk. run.mjs drives it after its other steps, in the same VS Code.
//
// The workspace gets a conduit of its own, `harbour.tidegauge`, so that no earlier step has a
// wish naming it open: three wishes name it in `tools` (each in another YAML style: double
// quoted, plain, single quoted in a flow list) and in the prose of a plan step, and a fourth
// names only `worldsmith.place` and the new conduit's id in prose. Only the first is opened.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const OLD_ID = "harbour.tidegauge";
export const NEW_ID = "harbour.tidemeter";

const ENTRY = (id) => `
- id: "${id}"
  label: "Harbour Tide Gauge"
  disposition: Literalist
  domains: [WorldAuthoring]
  risk_class: Low
  determinism: Deterministic
  latency_class: Instant
  permissions: ["tide.read"]
  audit_fields: ["readings"]
`;

// Each wish is the lighthouse wish (it passes every rule) with its own title and tools; `id`
// goes in `tools` only, so the text after the rename is the same template with the new id.
const WISHES = {
  opened: {
    file: "tide-north.wish.yaml",
    title: "Relight the north pier",
    tools: (id) => `tools:\n  - "worldsmith.place"\n  - "${id}"\n`,
  },
  plain: {
    file: "tide-south.wish.yaml",
    title: "Relight the south pier",
    tools: (id) => `tools:\n  - worldsmith.place\n  - ${id}\n`,
  },
  flow: {
    file: path.join("tides", "tide-east.wish.yaml"),
    title: "Relight the east breakwater",
    tools: (id) => `tools: ['${id}', worldsmith.place]\n`,
  },
  other: {
    file: "harbour-lamps.wish.yaml",
    title: "Relight the harbour lamps",
    tools: () => `tools:\n  - "worldsmith.place"\n`,
  },
};

function wishText(lighthouse, wish, id) {
  const tools = /^tools:\n(?: {2}- .*\n)+/m;
  const title = /^title: .*$/m;
  const step = '  - "Verify lamp visibility from the harbour at night"\n';
  for (const [pattern, name] of [[tools, "tools"], [title, "title"], [step, "plan step"]]) {
    if (!(typeof pattern === "string" ? lighthouse.includes(pattern) : pattern.test(lighthouse))) {
      throw new Error(`the lighthouse wish has no ${name} to replace`);
    }
  }
  return lighthouse
    .replace(title, `title: "${wish.title}"`)
    .replace(tools, wish.tools(id))
    .replace(step, `  - "Read the tide with ${OLD_ID} before the lamps are lit"\n`);
}

/** Add the conduit and the four wishes to the workspace; return the scenario's files and the
 * text each must have after the rename (`after`), or keep (`other`). */
export function addRenameFiles(workspace) {
  const wishes = path.join(workspace, "data", "wishes");
  const registry = path.join(workspace, "data", "conduits", "registry.yaml");
  const lighthouse = fs.readFileSync(path.join(wishes, "lighthouse.wish.yaml"), "utf8");
  const conduits = fs.readFileSync(registry, "utf8");
  fs.writeFileSync(registry, `${conduits}${ENTRY(OLD_ID)}`);
  const files = { registry: { path: registry, after: `${conduits}${ENTRY(NEW_ID)}` } };
  for (const [name, wish] of Object.entries(WISHES)) {
    const file = path.join(wishes, wish.file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, wishText(lighthouse, wish, OLD_ID));
    files[name] = { path: file, after: wishText(lighthouse, wish, NEW_ID) };
  }
  return files;
}

/** Every file under `folder` by path, with its bytes. */
export function snapshot(folder) {
  const files = new Map();
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      files.set(file, fs.readFileSync(file));
    }
  }
  return files;
}

/** The files whose bytes differ between two snapshots (added and removed ones included). */
export function changedFiles(before, after) {
  const changed = [];
  for (const file of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(file);
    const now = after.get(file);
    if (old === undefined || now === undefined || !old.equals(now)) {
      changed.push(file);
    }
  }
  return changed.sort();
}

/** `wishcraft lint -q` of the scenario's files: its exit status and output. Exit 1 (an error)
 * is what a wish naming an id the registry lacks gets (`unknown-conduit`). */
export function lint(python, root, workspace, files) {
  const env = { ...process.env, PYTHONPATH: path.join(root, "server"), NO_COLOR: "1" };
  const relative = files.map((file) => path.relative(workspace, file));
  const args = ["-m", "wishcraft", "lint", "-q", ...relative];
  try {
    const output = execFileSync(python, args, { cwd: workspace, env, encoding: "utf8" });
    return { status: 0, output };
  } catch (error) {
    return { status: error.status ?? -1, output: `${error.stdout ?? ""}${error.stderr ?? ""}` };
  }
}
