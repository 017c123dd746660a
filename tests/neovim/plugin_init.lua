-- The plugin by keystrokes: `:WishInit` in a new repository (no wish open, so no server yet)
-- sets Wishcraft up and opens the starter wish, which gets a server. Writes what happened to
-- $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local result = { steps = {} }

local ok, err = pcall(function()
  helpers.type(":WishInit<CR>")
  local bufnr = vim.api.nvim_get_current_buf()
  result.opened = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":.")
  local client = helpers.attached_client(bufnr)
  table.insert(result.steps, "initialised")
  result.messages = helpers.messages()
  vim.lsp.stop_client(client.id)
end)
if not ok then result.error = tostring(err) .. "\n" .. vim.inspect(helpers.messages()) end
helpers.finish(result)
