// Unit tests run in Node with the `vscode` module replaced by a small stub (test/vscode.ts).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { vscode: fileURLToPath(new URL("./test/vscode.ts", import.meta.url)) } },
  test: { include: ["test/**/*.test.ts"], environment: "node", restoreMocks: true },
});
