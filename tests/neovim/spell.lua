-- A repository whose wishes are `*.spell` files (its `[files] globs`): opening one starts the
-- server, with the buffer read as YAML, and its findings show; a file the globs do not name
-- gets no server. Writes what happened to $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local wish = os.getenv("WISH_FILE")
local result = { steps = {} }

local ok, err = pcall(function()
  helpers.type(":edit " .. vim.fn.fnameescape(wish) .. "<CR>")
  local bufnr = vim.api.nvim_get_current_buf()
  helpers.attached_client(bufnr)
  result.filetype = vim.bo[bufnr].filetype
  helpers.wait_for("the spell's diagnostics", function() return #vim.diagnostic.get(bufnr) > 0 end, 15000)
  result.diagnostics = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, diagnostic.message)
  end
  table.insert(result.steps, "spell")
  helpers.type(":edit " .. vim.fn.fnameescape(vim.fn.fnamemodify(wish, ":h") .. "/notes.txt") .. "<CR>")
  local other = vim.api.nvim_get_current_buf()
  vim.wait(1000, function() return false end)
  result.other_clients = #helpers.clients(other)
  result.other_filetype = vim.bo[other].filetype
  table.insert(result.steps, "other")
end)
if not ok then result.error = tostring(err) .. "\n" .. vim.inspect(helpers.messages()) end
helpers.finish(result)
