/** minimatch 5 (the version vscode-languageclient uses) ships no types: the one call the tests make. */
declare module "minimatch" {
  function minimatch(path: string, pattern: string, options?: { dot?: boolean }): boolean;
  export = minimatch;
}
