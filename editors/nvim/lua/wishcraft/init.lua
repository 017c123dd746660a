-- Wishcraft for Neovim 0.7 to 0.11+: a thin client of `wishcraft-lsp`. The server does the work
-- (completion, hover, plans, applies, undo, pull requests); this file starts it for wish and
-- registry files, maps keys, adds the :Wish* commands and renders what the server sends:
-- progress in the echo area (and `require("wishcraft").status()` for a statusline), the plan
-- in a split beside the wish, live while it streams, and an apply's diff in a scratch split
-- before the Apply / Cancel question.
--
--   vim.opt.runtimepath:append("/path/to/wishcraft/editors/nvim")
--   require("wishcraft").setup({})
local M = {}

local defaults = {
  cmd = { "wishcraft-lsp" },
  -- Buffer-local keys; a key the user already mapped in the buffer (or globally) is kept, and
  -- so are Neovim 0.11's own `grr` and `grn` (the same actions, by the same keys, before 0.11).
  keys = {
    hover = "K", definition = "gd", code_action = "<leader>ca", references = "grr", rename = "grn",
  },
  -- Highlight the other uses of the conduit id or anchor under the cursor (on CursorHold).
  highlight = true,
  -- Show the server's inlay hints (calls left after a conduit id, the tier's limits) on
  -- Neovim 0.10+; the server's settings turn each kind off.
  inlay_hints = true,
  -- "vsplit" (beside the wish) or "split" (below it) for the plan and the diff.
  split = "vsplit",
  settings = { wishcraft = {} },
}

M.config = vim.deepcopy(defaults)
--- The running work of the server: progress token -> { title, message, percentage }.
M.progress = {}

-- Files -----------------------------------------------------------------------------------

local files = require("wishcraft.files")

--- The wish globs the user set (`settings.wishcraft.files.globs`), or nil.
local function configured_globs()
  local wishcraft = (M.config.settings or {}).wishcraft or {}
  return (wishcraft.files or {}).globs
end

--- Whether `name` is a wish or a conduit registry, as the CLI classifies files: `*.wish.yaml`,
--- `*.wish.yml`, YAML under a `wishes/` folder, `conduits/registry.yaml` (or `.yml`), and what
--- the repository's `[files] globs` (or the user's `files.globs` setting) names. The
--- repository's globs are asked in the background: `on_answer` is called once they are in.
function M.is_wishcraft_file(name, on_answer)
  return files.is_wishcraft_file(name, configured_globs(), on_answer)
end

--- The project folder of a file: the nearest folder above it holding `data/`, else `.git`,
--- else the file's own folder.
M.root_for = files.root_for

local function clients_of(bufnr)
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }) or vim.lsp.buf_get_clients(bufnr)
  local out = {}
  for _, client in pairs(all) do
    if client.name == "wishcraft" then table.insert(out, client) end
  end
  return out
end

--- The wishcraft client of `bufnr` (the current buffer by default), or nil.
function M.client(bufnr)
  return clients_of(bufnr or vim.api.nvim_get_current_buf())[1]
end

local function any_client()
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  for _, client in pairs(all) do
    if client.name == "wishcraft" then return client end
  end
end

-- Messages ---------------------------------------------------------------------------------

local recent = {} -- the last messages shown, so a command's reason is not shown twice

local function say(text, level)
  local group = ({ [1] = "ErrorMsg", [2] = "WarningMsg" })[level] or "None"
  vim.api.nvim_echo({ { "Wishcraft: " .. text, group } }, true, {})
  table.insert(recent, text)
  if #recent > 10 then table.remove(recent, 1) end
end

local function said(text)
  for _, seen in ipairs(recent) do
    if seen == text then return true end
  end
  return false
end

-- Windows ----------------------------------------------------------------------------------

local function window_of(bufnr)
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == bufnr then return win end
  end
end

--- Show `path` in a split beside the current window (reusing a window that shows it); the
--- cursor stays where it was unless `focus`.
local function show_beside(path, focus)
  local bufnr = vim.fn.bufadd(path)
  vim.fn.bufload(bufnr)
  local win = window_of(bufnr)
  if not win then
    local from = vim.api.nvim_get_current_win()
    vim.cmd((M.config.split == "split" and "belowright split " or "belowright vsplit ") .. vim.fn.fnameescape(path))
    win = vim.api.nvim_get_current_win()
    if not focus then vim.api.nvim_set_current_win(from) end
  elseif focus then
    vim.api.nvim_set_current_win(win)
  end
  return bufnr, win
end

--- An apply's diff, read-only in a scratch split with the `diff` filetype.
local function show_diff(path)
  local handle = io.open(path, "r")
  if not handle then
    say("The diff could not be read.", 2)
    return false
  end
  local text = handle:read("*a")
  handle:close()
  local from = vim.api.nvim_get_current_win()
  vim.cmd(M.config.split == "split" and "belowright new" or "belowright vnew")
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].buftype = "nofile"
  vim.bo[bufnr].bufhidden = "wipe"
  vim.bo[bufnr].swapfile = false
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(text, "\n", { plain = true }))
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].filetype = "diff"
  pcall(vim.api.nvim_buf_set_name, bufnr, "wishcraft://" .. vim.fn.fnamemodify(path, ":t"))
  vim.api.nvim_set_current_win(from)
  return true
end

local function refresh_lenses(bufnr)
  if not vim.api.nvim_buf_is_loaded(bufnr) or #clients_of(bufnr) == 0 then return end
  vim.api.nvim_buf_call(bufnr, function()
    pcall(vim.lsp.codelens.refresh)
  end)
end

local function refresh_all_lenses()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    refresh_lenses(bufnr)
  end
end

-- Handlers (for the wishcraft client only) -------------------------------------------------

local handlers = {}

handlers["window/showDocument"] = function(_, params)
  -- An address for the browser (a pull request): the server's message names it.
  if params.external or not vim.startswith(params.uri, "file:") then return { success = false } end
  local path = vim.uri_to_fname(params.uri)
  if path:match("%.patch$") then return { success = show_diff(path) } end
  if path:match("%.plan%.md$") then
    show_beside(path, false)
  else
    vim.cmd("edit " .. vim.fn.fnameescape(path))
  end
  return { success = true }
end

handlers["wishcraft/planUpdated"] = function(_, params)
  local path = vim.uri_to_fname(params.planUri)
  local bufnr = vim.fn.bufadd(path)
  vim.fn.bufload(bufnr)
  if not window_of(bufnr) then show_beside(path, false) end
  local lines = vim.split(params.markdown or "", "\n", { plain = true })
  if lines[#lines] == "" then table.remove(lines) end
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  -- The server writes the same text to the file: the buffer is not a user's edit.
  vim.bo[bufnr].modified = false
  local win = window_of(bufnr)
  if win then vim.api.nvim_win_set_cursor(win, { #lines > 0 and #lines or 1, 0 }) end
  if params.done then refresh_all_lenses() end
end

handlers["$/progress"] = function(err, params, ctx, config)
  local value = params.value or {}
  local token = tostring(params.token)
  if value.kind == "begin" then
    M.progress[token] = { title = value.title, message = value.message, percentage = value.percentage,
                          cancellable = value.cancellable == true, client_id = ctx.client_id }
  elseif M.progress[token] then
    local entry = M.progress[token]
    entry.message = value.message or entry.message
    entry.percentage = value.percentage or entry.percentage
    if value.cancellable ~= nil then entry.cancellable = value.cancellable == true end
  end
  local entry = M.progress[token] or { title = "" }
  local text = entry.title .. (entry.message and (": " .. entry.message) or "")
  if value.kind == "end" then
    M.progress[token] = nil
    say(entry.title .. (value.message and (": " .. value.message) or ": done"))
    -- A server that wrote files itself (an apply): buffers of unchanged-in-Neovim files reload.
    vim.cmd("silent! checktime")
    refresh_all_lenses()
  else
    local hint = entry.cancellable and "  (:WishCancel to stop)" or ""
    vim.api.nvim_echo({ { "Wishcraft: " .. text .. hint } }, false, {})
  end
  vim.cmd("redrawstatus")
  local stock = vim.lsp.handlers["$/progress"]
  if stock then return stock(err, params, ctx, config) end
end

handlers["window/showMessage"] = function(_, params)
  say(params.message, params.type)
end

-- The server asks before an apply: Apply, Show diff, Cancel. Show the diff first (the server
-- then opens it with window/showDocument and asks again), then ask the user Apply or Cancel.
local asked_diff = {}
handlers["window/showMessageRequest"] = function(_, params)
  local titles = {}
  for _, action in ipairs(params.actions or {}) do titles[action.title] = action end
  if titles["Show diff"] and titles["Apply"] and not asked_diff[params.message] then
    asked_diff[params.message] = true
    return titles["Show diff"]
  end
  asked_diff[params.message] = nil
  local choices, order = {}, {}
  for _, action in ipairs(params.actions or {}) do
    if action.title ~= "Show diff" then
      table.insert(choices, "&" .. action.title)
      table.insert(order, action)
    end
  end
  vim.cmd("redraw")
  local picked = vim.fn.confirm("Wishcraft: " .. params.message, table.concat(choices, "\n"), 1)
  -- The diff was for this question: close it once answered.
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    local name = vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(win))
    if name:match("^wishcraft://.*%.patch$") and #vim.api.nvim_tabpage_list_wins(0) > 1 then
      vim.api.nvim_win_close(win, true)
    end
  end
  return order[picked] or vim.NIL
end

-- An edit that the server sends is saved at once, as VS Code's refactor preview does: the
-- files on disk hold the new text and no buffer is left modified. A buffer the user was
-- editing (modified before) is left for the user to save.
handlers["workspace/applyEdit"] = function(err, params, ctx, config)
  local before = {}
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].modified then before[bufnr] = true end
  end
  local response = vim.lsp.handlers["workspace/applyEdit"](err, params, ctx, config)
  if response and response.applied then
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].modified and not before[bufnr]
          and vim.bo[bufnr].buftype == "" then
        vim.api.nvim_buf_call(bufnr, function() vim.cmd("silent noautocmd update") end)
      end
    end
  end
  return response
end

-- Keys and buffer options ------------------------------------------------------------------

local function mapped(bufnr, lhs)
  for _, map in ipairs(vim.api.nvim_buf_get_keymap(bufnr, "n")) do
    if map.lhs == lhs then return true end
  end
  return vim.fn.maparg(lhs, "n") ~= ""
end

local function map(bufnr, lhs, rhs)
  if lhs and lhs ~= "" and not mapped(bufnr, vim.api.nvim_replace_termcodes(lhs, true, true, true))
      and not mapped(bufnr, lhs) then
    vim.api.nvim_buf_set_keymap(bufnr, "n", lhs, rhs, { noremap = true, silent = true })
  end
end

--- `omnifunc`: the server's completion, asked synchronously, so `<C-x><C-o>` completes at
--- once. An item of several lines completes its first line; the rest is put below it when
--- the completion is accepted.
function M.omnifunc(findstart, base)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local line = vim.api.nvim_get_current_line()
  if findstart == 1 then
    if not client then return -3 end
    local start = cursor[2]
    while start > 0 and line:sub(start, start):match("[%w_%.%-]") do start = start - 1 end
    return start
  end
  if not client then return {} end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/completion", params, 5000) or {}
  local response = responses[client.id]
  local result = response and response.result or {}
  local items = result.items or result
  local words = {}
  for _, item in ipairs(items) do
    local text = (item.textEdit and item.textEdit.newText) or item.insertText or item.label
    local first, rest = text:match("^([^\n]*)\n(.*)$")
    local replaces = item.textEdit and item.textEdit.range
    local indent = ""
    if replaces and replaces.start.character < #line then
      indent = line:sub(1, replaces.start.character):match("^%s*") or ""
    end
    local word = (first or text):gsub("^%s+", "")
    if vim.startswith(word, base) or vim.startswith(item.label, base) then
      table.insert(words, {
        word = word,
        abbr = item.label,
        menu = item.detail or "",
        icase = 1,
        dup = 1,
        user_data = rest and { wishcraft_rest = rest, indent = indent } or nil,
      })
    end
  end
  return words
end

local function complete_done()
  local item = vim.v.completed_item
  local data = type(item) == "table" and item.user_data
  if type(data) ~= "table" or not data.wishcraft_rest then return end
  local row = vim.api.nvim_win_get_cursor(0)[1]
  local rest = vim.split(data.wishcraft_rest, "\n", { plain = true })
  vim.api.nvim_buf_set_lines(0, row, row, false, rest)
end

local function on_attach(client, bufnr)
  vim.bo[bufnr].omnifunc = "v:lua.require'wishcraft'.omnifunc"
  local keys = M.config.keys or {}
  map(bufnr, keys.hover, "<cmd>lua vim.lsp.buf.hover()<CR>")
  map(bufnr, keys.definition, "<cmd>lua vim.lsp.buf.definition()<CR>")
  map(bufnr, keys.code_action, "<cmd>lua vim.lsp.buf.code_action()<CR>")
  map(bufnr, keys.references, "<cmd>lua vim.lsp.buf.references()<CR>")
  map(bufnr, keys.rename, "<cmd>lua require('wishcraft').rename()<CR>")
  -- `gq` formats with the server (0.8+ sets this itself; 0.7 does not).
  if vim.bo[bufnr].formatexpr == "" then vim.bo[bufnr].formatexpr = "v:lua.vim.lsp.formatexpr()" end
  local group = vim.api.nvim_create_augroup("wishcraft-buffer-" .. bufnr, { clear = true })
  local inlay = vim.lsp.inlay_hint
  if M.config.inlay_hints and inlay and type(inlay.enable) == "function"
      and (client.server_capabilities or {}).inlayHintProvider then
    pcall(inlay.enable, true, { bufnr = bufnr })
  end
  if M.config.highlight and (client.server_capabilities or {}).documentHighlightProvider then
    vim.api.nvim_create_autocmd({ "CursorHold", "CursorHoldI" }, {
      group = group, buffer = bufnr, callback = function() vim.lsp.buf.document_highlight() end,
    })
    vim.api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI", "BufLeave" }, {
      group = group, buffer = bufnr, callback = function() vim.lsp.buf.clear_references() end,
    })
  end
  vim.api.nvim_create_autocmd("BufWritePost", {
    group = group, buffer = bufnr, callback = function() refresh_lenses(bufnr) end,
  })
  vim.api.nvim_create_autocmd("CompleteDone", { group = group, buffer = bufnr, callback = complete_done })
  refresh_lenses(bufnr)
end

-- Starting the server ----------------------------------------------------------------------

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  -- This client opens documents the server shows (the plan, an apply's diff) itself.
  caps.window = caps.window or {}
  caps.window.showDocument = { support = true }
  -- The omnifunc inserts plain text: the skeleton then comes as a code action.
  local item = caps.textDocument.completion.completionItem
  if item then item.snippetSupport = false end
  return caps
end

local function client_config(root)
  return {
    name = "wishcraft",
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = root and { { uri = vim.uri_from_fname(root), name = root } } or nil,
    settings = M.config.settings,
    capabilities = capabilities(),
    handlers = handlers,
    on_attach = on_attach,
  }
end

local started = {} -- root -> client id (Neovim 0.7, which has no vim.lsp.start)

local function start_for(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or not M.is_wishcraft_file(name) or vim.bo[bufnr].buftype ~= "" then return end
  local root = M.root_for(name)
  if vim.lsp.start then
    vim.lsp.start(client_config(root), { bufnr = bufnr })
    return
  end
  local id = started[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(client_config(root))
    started[root] = id
  end
  if id then vim.lsp.buf_attach_client(bufnr, id) end
end

-- Commands ---------------------------------------------------------------------------------

local function need_client()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then say("Open a wish first: this buffer has no Wishcraft server.", 2) end
  return client, bufnr
end

local function execute(command, arguments, bufnr, then_)
  local client = need_client()
  if not client then return end
  client.request("workspace/executeCommand", { command = command, arguments = arguments }, function(err, result)
    if err then
      say(err.message or tostring(err), 1)
    elseif then_ then
      then_(result or {})
    end
  end, bufnr)
end

--- Show why a command did not start, unless the server already said it.
local function reason_of(result)
  if result.reason and not result.shown and not said(result.reason) then say(result.reason, 2) end
end

function M.plan()
  local client, bufnr = need_client()
  if not client then return end
  execute("wishcraft.planWish", { vim.uri_from_bufnr(bufnr) }, bufnr, function(result)
    if result.started and result.planUri then
      show_beside(vim.uri_to_fname(result.planUri), false)
    else
      reason_of(result)
    end
  end)
end

function M.apply()
  local client, bufnr = need_client()
  if not client then return end
  execute("wishcraft.applyPlan", { vim.uri_from_bufnr(bufnr) }, bufnr, reason_of)
end

function M.undo()
  local client, bufnr = need_client()
  if not client then return end
  execute("wishcraft.undoApply", { vim.uri_from_bufnr(bufnr) }, bufnr, function(result)
    vim.cmd("silent! checktime")
    reason_of(result)
    refresh_all_lenses()
  end)
end

function M.pull_request()
  local client, bufnr = need_client()
  if not client then return end
  -- The server's message names the pull request's address (or why none was opened).
  execute("wishcraft.openPullRequest", { vim.uri_from_bufnr(bufnr) }, bufnr, reason_of)
end

--- Cancel what the server said it can stop (a plan, an apply). Work it did not offer to stop
--- is left alone: indexing in the background, and a pull request (stopped between its push
--- and the GitHub call, it would leave a pushed branch and no pull request). A cancel sent
--- there would be ignored, and the user would wait for an end that is not theirs.
function M.cancel()
  local cancelled = false
  for token, entry in pairs(M.progress) do
    local client = vim.lsp.get_client_by_id(entry.client_id)
    if client and entry.cancellable then
      client.notify("window/workDoneProgress/cancel", { token = token })
      cancelled = true
    end
  end
  if not cancelled then say("Nothing is running that can be cancelled.") end
end

--- How many files a workspace edit touches.
local function files_in(edit)
  local uris = {}
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.textDocument then uris[change.textDocument.uri] = true end
  end
  for uri in pairs(edit.changes or {}) do uris[uri] = true end
  return vim.tbl_count(uris)
end

--- Rename the conduit id or YAML anchor under the cursor, in the registry and every wish that
--- names it. Before 0.11, Neovim's own rename asks for a new name even when the server refused
--- (it falls back to the word under the cursor): here the server's reason is said instead and
--- nothing is asked. The edited files are left unsaved, as Neovim's rename leaves them.
function M.rename()
  local client, bufnr = need_client()
  if not client then return end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  client.request("textDocument/prepareRename", params, function(err, prepared)
    if err or not prepared then
      say(err and err.message or "Put the cursor on a conduit id or a YAML anchor to rename it.", 2)
      return
    end
    local old = prepared.placeholder or vim.fn.expand("<cWORD>")
    vim.ui.input({ prompt = "New name: ", default = old }, function(new)
      if not new or new == "" or new == old then return end
      params.newName = new
      client.request("textDocument/rename", params, function(rename_err, edit)
        if rename_err then
          say(rename_err.message or tostring(rename_err), 2)
        elseif edit then
          vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding)
          local count = files_in(edit)
          say(("Renamed `%s` to `%s` in %d file%s%s"):format(old, new, count, count == 1 and "" or "s",
            count > 1 and "; :wall saves them." or "."))
        end
      end, bufnr)
    end)
  end, bufnr)
end

--- Format the wish or registry in this buffer with the server (as `wishcraft fmt`).
function M.format()
  local client, bufnr = need_client()
  if not client then return end
  if vim.lsp.buf.format then
    vim.lsp.buf.format({ bufnr = bufnr, id = client.id, timeout_ms = 5000 })
  else
    vim.lsp.buf.formatting_sync(nil, 5000)
  end
end

--- Wishes (by title, objective words, file name) and conduits (by id, label) in the whole
--- workspace matching `query`, in the quickfix list.
function M.find(query)
  local client = need_client()
  if not client then return end
  vim.lsp.buf.workspace_symbol(query ~= "" and query or nil)
end

--- The `wishcraft` command of the same install as the configured server, as an argument list
--- to append to: `wishcraft` beside a `wishcraft-lsp`, `python -m wishcraft.cli` for a
--- `python -m wishcraft.lsp`, else `wishcraft` on PATH.
local function cli(...)
  local cmd = M.config.cmd or {}
  local argv
  if cmd[2] == "-m" and cmd[3] == "wishcraft.lsp" then
    argv = { cmd[1], "-m", "wishcraft.cli" }
  else
    local lsp = cmd[1] or "wishcraft-lsp"
    argv = { lsp:match("wishcraft%-lsp$") and (lsp:gsub("wishcraft%-lsp$", "wishcraft")) or "wishcraft" }
  end
  return vim.list_extend(argv, { ... })
end

function M.init()
  local client = any_client()
  if client then
    execute("wishcraft.initWorkspace", { vim.uri_from_fname(vim.fn.getcwd()) }, nil, function(result)
      if result.done and result.wishUri then vim.cmd("edit " .. vim.fn.fnameescape(vim.uri_to_fname(result.wishUri))) end
    end)
    return
  end
  -- No server yet (no wish open): `wishcraft init` in the current folder, then its starter wish.
  local output = vim.fn.system(cli("init"))
  local failed = vim.v.shell_error ~= 0
  local starter
  for _, line in ipairs(vim.split(output, "\n", { trimempty = true })) do
    say(line, failed and 1 or nil)
    local path = line:match("^wrote (%S+%.ya?ml)$") or line:match("^kept (%S+%.ya?ml)")
    if path and M.is_wishcraft_file("/" .. path) and not path:match("registry") then starter = starter or path end
  end
  if not failed and starter then vim.cmd("edit " .. vim.fn.fnameescape(starter)) end
end

--- Trust this repository's wishcraft.toml to run its commands: the server asks first, quoting
--- the command it would let run (`window/showMessageRequest`, Neovim's choice list).
function M.trust()
  local root = M.root_for(vim.api.nvim_buf_get_name(0))
  execute("wishcraft.trustRepository", { vim.uri_from_fname(root) }, nil, reason_of)
end

function M.ledger()
  local name = vim.api.nvim_buf_get_name(0)
  local args = cli("ledger")
  if M.is_wishcraft_file(name) and not name:match("registry%.ya?ml$") then table.insert(args, name) end
  local output = vim.fn.system(args)
  vim.cmd(M.config.split == "split" and "belowright new" or "belowright vnew")
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].buftype = "nofile"
  vim.bo[bufnr].bufhidden = "wipe"
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(output, "\n", { trimempty = true }))
  vim.bo[bufnr].modifiable = false
end

--- For a statusline: the running work of the server, or "".
function M.status()
  for _, entry in pairs(M.progress) do
    return "Wishcraft: " .. (entry.title or "") .. (entry.message and (": " .. entry.message) or "")
  end
  return ""
end

--- Read a wish named only by the repository's globs (`*.spell`) as YAML, and start its server
--- (`start_for` on 0.7; on 0.11 the filetype starts it), now or once the globs are known.
local function read_as_yaml(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].filetype == "yaml" or vim.bo[bufnr].buftype ~= "" then return end
  local known = M.is_wishcraft_file(name, function()
    if vim.api.nvim_buf_is_loaded(bufnr) and M.is_wishcraft_file(name) then
      vim.bo[bufnr].filetype = "yaml"
      if not (vim.lsp.config and vim.lsp.enable) then start_for(bufnr) end
    end
  end)
  if known then vim.bo[bufnr].filetype = "yaml" end
end

--- Start the server for wish and registry files, with keys and the :Wish* commands.
function M.setup(options)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), options or {})
  files.cli = cli()
  local command = vim.api.nvim_create_user_command
  command("WishPlan", M.plan, { desc = "Plan this wish (the plan opens beside it)" })
  command("WishApply", M.apply, { desc = "Apply this wish's plan (diff first)" })
  command("WishUndo", M.undo, { desc = "Undo this wish's last apply" })
  command("WishPR", M.pull_request, { desc = "Open a pull request for this wish's apply" })
  command("WishLedger", M.ledger, { desc = "The ledger of this wish" })
  command("WishInit", M.init, { desc = "Set Wishcraft up in this folder" })
  command("WishTrust", M.trust, { desc = "Trust this repository's wishcraft.toml (asks first)" })
  command("WishCancel", M.cancel, { desc = "Cancel the running plan or apply" })
  -- A wish named only by the repository's globs (`*.spell`) is YAML: its buffer says so, for
  -- highlighting and for 0.11, which starts the server by filetype.
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
    group = vim.api.nvim_create_augroup("wishcraft-filetype", { clear = true }),
    pattern = "*",
    callback = function(args) read_as_yaml(args.buf) end,
  })
  command("WishFormat", M.format, { desc = "Format this wish or registry (as wishcraft fmt)" })
  command("WishFind", function(opts) M.find(opts.args) end,
    { nargs = "?", desc = "Find wishes and conduits in the workspace (quickfix list)" })
  -- The other uses of the id under the cursor, unless the colour scheme already set them.
  for _, group in ipairs({ "LspReferenceText", "LspReferenceRead", "LspReferenceWrite" }) do
    vim.cmd("highlight default link " .. group .. " Visual")
  end
  if vim.lsp.config and vim.lsp.enable then
    -- 0.11+: lsp/wishcraft.lua beside this plugin gives cmd, filetypes and the root_dir that
    -- serves wish and registry files only; the plugin adds its handlers and keys.
    local config = client_config(nil)
    config.root_dir, config.workspace_folders, config.name = nil, nil, nil
    vim.lsp.config("wishcraft", config)
    vim.lsp.enable("wishcraft")
    return
  end
  local group = vim.api.nvim_create_augroup("wishcraft", { clear = true })
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
    group = group,
    pattern = "*",
    callback = function(args) start_for(args.buf) end,
  })
  -- Buffers opened before setup (a session, `nvim wish.yaml` with a late setup call).
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then start_for(bufnr) end
  end
end

return M
