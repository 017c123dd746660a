-- Shared by the Neovim test scripts (0.7 to 0.12): find the wishcraft client that the user's
-- configuration (README's snippet or editors/nvim/lsp/wishcraft.lua) attached to a buffer.
local M = {}

--- The wishcraft clients attached to `bufnr`, on any Neovim from 0.7.
function M.clients(bufnr)
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr })
    or vim.lsp.buf_get_clients(bufnr)
  local out = {}
  for _, client in pairs(all) do
    if client.name == "wishcraft" then table.insert(out, client) end
  end
  return out
end

--- The root folder a client was started with (0.11 keeps a root_dir function in its config).
function M.root_dir(client)
  if type(client.root_dir) == "string" then return client.root_dir end
  return client.config.root_dir
end

--- Wait until a wishcraft client is attached to `bufnr` and initialised; error otherwise.
function M.attached_client(bufnr)
  local found
  local ready = vim.wait(20000, function()
    found = M.clients(bufnr)[1]
    return found ~= nil and found.server_capabilities ~= nil
  end, 20)
  if not ready then error("no initialised wishcraft client on " .. vim.api.nvim_buf_get_name(bufnr)) end
  return found
end

--- The code actions at the start of `bufnr` (their titles, in order) and the one titled
--- `title`; error when it is not offered.
function M.code_action(bufnr, client_id, title)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = {} },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
  local titles, found = {}, nil
  for _, action in ipairs(responses[client_id].result or {}) do
    table.insert(titles, action.title)
    if action.title == title then found = action end
  end
  if not found then error("no '" .. title .. "' action") end
  return titles, found
end

--- Type `keys` as a user would (termcodes like <C-x> allowed), and run them at once.
function M.type(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), "xt", false)
end

-- Answers to prompts (inputlist, confirm): typed by a timer when Neovim blocks on input, as a
-- user at the keyboard would answer; the timer runs while a prompt waits.
local answers = {}
local typist = vim.loop.new_timer()
typist:start(20, 20, function()
  -- 0.7 reports a prompt as blocking; 0.11 reports inputlist() as command-line mode.
  local mode = #answers > 0 and vim.api.nvim_get_mode()
  if mode and (mode.blocking or mode.mode == "c" or mode.mode:sub(1, 1) == "r") then
    vim.api.nvim_input(table.remove(answers, 1))
  end
end)

--- Queue `keys` as the answer to the next prompt.
function M.answer(keys) table.insert(answers, keys) end

--- Wait for `predicate` (up to `ms`); error with `what` when it never holds.
function M.wait_for(what, predicate, ms)
  if not vim.wait(ms or 30000, predicate, 20) then error("timed out waiting for " .. what) end
end

--- The message history (`:messages`), as lines.
function M.messages()
  return vim.split(vim.fn.execute("messages"), "\n", { plain = true, trimempty = true })
end

--- Write `result` as JSON to $RESULT_FILE and quit.
function M.finish(result)
  local handle = io.open(os.getenv("RESULT_FILE"), "w")
  handle:write(vim.fn.json_encode(result))
  handle:close()
  vim.cmd("qa!")
end

return M
