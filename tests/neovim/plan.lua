-- Run "Plan this wish" in Neovim (0.7+) with the stock LSP client: list the code actions of
-- a valid wish, execute the plan command, record the `$/progress` values and the messages
-- that arrive, and wait for the progress to end. Writes what happened as JSON to
-- $RESULT_FILE, then quits. The server is started by README.md's Neovim snippet, sourced
-- first, as a user has it. Run headless:
--   nvim --headless -u NONE -c 'luafile readme-snippet.lua' -c 'luafile plan.lua'
local wish = os.getenv("WISH_FILE")
local result_file = os.getenv("RESULT_FILE")
local helpers = dofile(os.getenv("HELPERS"))
local attached_client = helpers.attached_client
local result = { steps = {}, progress = {}, messages = {} }

local function finish()
  local handle = io.open(result_file, "w")
  handle:write(vim.fn.json_encode(result))
  handle:close()
  vim.cmd("qa!")
end

local function step(name) table.insert(result.steps, name) end

local ended = false
local planning = {} -- the plan's progress tokens (the server also reports its indexing)
local stock_progress = vim.lsp.handlers["$/progress"]
vim.lsp.handlers["$/progress"] = function(err, params, ctx, config)
  local value = params.value or {}
  if value.kind == "begin" and (value.title or ""):find("^Planning") then
    planning[params.token] = true
  end
  if planning[params.token] then
    table.insert(result.progress, { kind = value.kind, title = value.title,
                                    message = value.message, cancellable = value.cancellable })
    if value.kind == "end" then ended = true end
  end
  if stock_progress then return stock_progress(err, params, ctx, config) end
end
vim.lsp.handlers["window/showMessage"] = function(_, params)
  table.insert(result.messages, params.message)
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(wish))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = attached_client(bufnr)
  local client_id = client.id
  result.commands = client.server_capabilities.executeCommandProvider.commands
  step("started")

  local plan
  result.actions, plan = helpers.code_action(bufnr, client_id, "Plan this wish")
  step("code actions")

  local command = plan.command
  local reply = client.request_sync("workspace/executeCommand",
                                    { command = command.command, arguments = command.arguments },
                                    10000, bufnr)
  if reply.err then error("executeCommand failed: " .. vim.inspect(reply.err)) end
  result.started = reply.result
  step("executed")

  if not vim.wait(30000, function() return ended end, 20) then
    error("the plan's progress did not end")
  end
  step("ended")
  vim.lsp.stop_client(client_id)
end)
if not ok then result.error = tostring(err) end
finish()
