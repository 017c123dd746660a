-- wishcraft-lsp for Neovim 0.11 and later, in the `vim.lsp.config` file format. Put this
-- folder's parent on the runtime path and enable it (README.md, "Neovim"):
--   vim.opt.runtimepath:append("/path/to/wishcraft/editors/nvim")
--   vim.lsp.enable("wishcraft")
-- The server starts only for wish files (*.wish.yaml, *.wish.yml, YAML under a wishes/ folder)
-- and conduit registries, not for every YAML file: `root_dir` decides, so `root_markers` would
-- go unused. The root is the nearest folder holding data/ (else .git, else the file's folder).
-- Override any field with vim.lsp.config("wishcraft", { cmd = { "/abs/path/wishcraft-lsp" } }).
-- The plugin beside this file (lua/wishcraft) builds on it: require("wishcraft").setup({})
-- adds its handlers, keys and :Wish* commands, then enables the server (README.md, "Neovim").

-- With the plugin beside it, the repository's `[files] globs` count too (lua/wishcraft/files.lua);
-- this file copied alone knows the built-in names only.
local found, files = pcall(require, "wishcraft.files")

local function is_wishcraft_file(name)
  if found then
    local settings = ((vim.lsp.config or {}).wishcraft or {}).settings or {}
    return files.is_wishcraft_file(name, ((settings.wishcraft or {}).files or {}).globs)
  end
  return name:match("%.wish%.ya?ml$") ~= nil
    or name:match("/wishes/.+%.ya?ml$") ~= nil
    or name:match("/conduits/registry%.ya?ml$") ~= nil
end

return {
  cmd = { "wishcraft-lsp" },
  filetypes = { "yaml" },
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if is_wishcraft_file(name) then
      on_dir(vim.fs.root(bufnr, { "data", ".git" }) or vim.fs.dirname(name))
    end
  end,
  settings = { wishcraft = { diagnostics = { debounceMs = 15 } } },
}
