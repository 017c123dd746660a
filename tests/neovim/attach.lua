-- Which files get the server, and which server: open each file of $FILES (one a line) after the
-- configuration under test was sourced (README's 0.7 snippet, or the 0.11 config file with
-- vim.lsp.enable), wait for a ready server on each file of $SERVED (one a line) and for the
-- diagnostics of $WISH_FILE, then record for every file the wishcraft clients attached and
-- their root folders, and how many wishcraft servers run. Writes JSON to $RESULT_FILE, quits.
local result_file = os.getenv("RESULT_FILE")
local helpers = dofile(os.getenv("HELPERS"))
local result = { files = {} }

local ok, err = pcall(function()
  local buffers = {}
  -- The wish is opened last, so it is the visible buffer: Neovim 0.11 pulls diagnostics
  -- (`textDocument/diagnostic`) for visible buffers only, as a user sees them.
  local files, wish_file = {}, os.getenv("WISH_FILE")
  for file in os.getenv("FILES"):gmatch("[^\n]+") do
    if file ~= wish_file then table.insert(files, file) end
  end
  table.insert(files, wish_file)
  for _, file in ipairs(files) do
    vim.cmd("edit " .. vim.fn.fnameescape(file))
    buffers[file] = vim.api.nvim_get_current_buf()
  end
  for file in os.getenv("SERVED"):gmatch("[^\n]+") do helpers.attached_client(buffers[file]) end
  local wish = buffers[os.getenv("WISH_FILE")]
  if not vim.wait(20000, function() return #vim.diagnostic.get(wish) > 0 end, 20) then
    error("no diagnostics arrived")
  end
  for file, bufnr in pairs(buffers) do
    local entry = { clients = {}, roots = {} }
    for _, client in ipairs(helpers.clients(bufnr)) do
      table.insert(entry.clients, client.id)
      table.insert(entry.roots, helpers.root_dir(client))
    end
    entry.diagnostics = #vim.diagnostic.get(bufnr)
    result.files[file] = entry
  end
  local running = vim.lsp.get_clients and vim.lsp.get_clients({ name = "wishcraft" })
    or vim.tbl_filter(function(client) return client.name == "wishcraft" end,
                      vim.lsp.get_active_clients())
  result.servers = #running
  result.version = vim.version().major .. "." .. vim.version().minor
end)
if not ok then result.error = tostring(err) end
local handle = io.open(result_file, "w")
handle:write(vim.fn.json_encode(result))
handle:close()
vim.cmd("qa!")
