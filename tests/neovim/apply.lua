-- Run "Apply plan" in Neovim 0.7 with the stock LSP client: list the code actions of a wish
-- with a current plan, execute the apply command, answer the server's question
-- (window/showMessageRequest: Apply, Show diff, Cancel) with "Apply" as a user picks it from the
-- stock handler's list; the server writes the files (no workspace/applyEdit, which 0.7 would
-- leave unsaved in buffers); read them and the modified buffers, then run "Undo apply". Writes what happened as JSON to $RESULT_FILE.
local wish = os.getenv("WISH_FILE")
local result_file = os.getenv("RESULT_FILE")
local helpers = dofile(os.getenv("HELPERS"))
local attached_client = helpers.attached_client
local result = { steps = {}, messages = {}, questions = {} }

local function finish()
  local handle = io.open(result_file, "w")
  handle:write(vim.fn.json_encode(result))
  handle:close()
  vim.cmd("qa!")
end

local function step(name) table.insert(result.steps, name) end

local function read(path)
  local handle = io.open(path, "r")
  if not handle then return vim.NIL end
  local text = handle:read("*a")
  handle:close()
  return text
end

vim.lsp.handlers["window/showMessage"] = function(_, params)
  table.insert(result.messages, params.message)
end
-- The stock handler asks with inputlist(), which a headless Neovim cannot answer: pick the
-- first choice as the user would, and keep what was asked.
vim.lsp.handlers["window/showMessageRequest"] = function(_, params)
  local titles = {}
  for _, action in ipairs(params.actions or {}) do table.insert(titles, action.title) end
  table.insert(result.questions, { message = params.message, actions = titles })
  return params.actions[1]
end

local function wait_for_message(words)
  local found = vim.wait(30000, function()
    for _, message in ipairs(result.messages) do
      if message:find(words, 1, true) then return true end
    end
    return false
  end, 20)
  if not found then error("no message with '" .. words .. "': " .. vim.inspect(result.messages)) end
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(wish))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = attached_client(bufnr)
  local client_id = client.id
  result.commands = client.server_capabilities.executeCommandProvider.commands
  step("started")

  local apply
  result.actions, apply = helpers.code_action(bufnr, client_id, "Apply plan")
  step("code actions")

  local reply = client.request_sync("workspace/executeCommand",
                                    { command = apply.command.command,
                                      arguments = apply.command.arguments }, 10000, bufnr)
  if reply.err then error("executeCommand failed: " .. vim.inspect(reply.err)) end
  result.started = reply.result
  step("executed")

  wait_for_message("Applied ")
  step("applied")
  -- Read before any save: "Applied" means the files on disk hold the new text already, and
  -- no buffer is left modified (issue 22).
  local root = os.getenv("WORKSPACE_ROOT")
  result.after = { lamps = read(root .. "/src/lamps.py"), beacon = read(root .. "/src/beacon.py"),
                   old = read(root .. "/src/old.py") }
  result.modified = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_option(buf, "modified") then
      table.insert(result.modified, vim.api.nvim_buf_get_name(buf))
    end
  end
  vim.cmd("silent! wall")
  step("saved")

  local undo = client.request_sync("workspace/executeCommand",
                                   { command = "wishcraft.undoApply",
                                     arguments = { vim.uri_from_bufnr(bufnr) } }, 10000, bufnr)
  if undo.err then error("undo failed: " .. vim.inspect(undo.err)) end
  result.undone = undo.result
  step("undone")
  vim.lsp.stop_client(client_id)
end)
if not ok then result.error = tostring(err) end
finish()
