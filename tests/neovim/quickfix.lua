-- Open a wish in Neovim (0.7+), receive its diagnostics from wishcraft-lsp, list the quick
-- fixes for the unknown conduit, apply one, and wait for the diagnostics to clear.
-- The server is started by README.md's Neovim snippet, sourced first, as a user has it.
-- Writes what happened as JSON to $RESULT_FILE, then quits. Run headless:
--   nvim --headless -u NONE -c 'luafile readme-snippet.lua' -c 'luafile quickfix.lua'
local wish = os.getenv("WISH_FILE")
local result_file = os.getenv("RESULT_FILE")
local attached_client = dofile(os.getenv("HELPERS")).attached_client
local result = { steps = {} }

local function finish()
  local handle = io.open(result_file, "w")
  handle:write(vim.fn.json_encode(result))
  handle:close()
  vim.cmd("qa!")
end

local function step(name) table.insert(result.steps, name) end

local function codes(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(out, code or "?")
  end
  table.sort(out)
  return out
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(wish))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = attached_client(bufnr)
  local client_id = client.id
  result.root_dir = client.config.root_dir
  step("started")

  if not vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 20) then
    error("no diagnostics arrived")
  end
  result.before = codes(bufnr)
  step("diagnostics")

  local line = vim.fn.search("cartographer.survy", "n") - 1
  local lsp_diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, line)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_diagnostics[1].range,
    context = { diagnostics = lsp_diagnostics },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
  local actions = responses[client_id].result
  result.actions = {}
  for _, action in ipairs(actions) do table.insert(result.actions, action.title) end
  step("code actions")

  vim.lsp.util.apply_workspace_edit(actions[1].edit, client.offset_encoding)
  result.fixed_line = vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1]
  step("applied")

  local cleared = vim.wait(20000, function()
    for _, code in ipairs(codes(bufnr)) do
      if code == "unknown-conduit" then return false end
    end
    return true
  end, 20)
  if not cleared then error("the fixed diagnostic did not clear") end
  result.after = codes(bufnr)
  step("cleared")
  vim.lsp.stop_client(client_id)
end)
if not ok then result.error = tostring(err) end
finish()
