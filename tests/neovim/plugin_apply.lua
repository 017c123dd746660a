-- The plugin by keystrokes: `:WishApply` shows the diff in a scratch split (filetype diff),
-- then asks Apply / Cancel, answered "a" at the keyboard; the changed files are saved. The
-- code-action list then offers "Undo apply", and `:WishUndo` restores the files. With $PR_ONLY
-- set, only `:WishPR` runs on the open wish. Writes what happened to $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local wish = os.getenv("WISH_FILE")
local result = { steps = {}, diff_windows = {} }
local function step(name) table.insert(result.steps, name) end

vim.api.nvim_create_autocmd("FileType", {
  pattern = "diff",
  callback = function(args)
    local lines = vim.api.nvim_buf_get_lines(args.buf, 0, -1, false)
    table.insert(result.diff_windows, { lines = lines, windows = #vim.api.nvim_tabpage_list_wins(0),
                                        modifiable = vim.bo[args.buf].modifiable })
  end,
})

local function ours(words)
  for _, line in ipairs(helpers.messages()) do
    if line:find("Wishcraft:", 1, true) == 1 and line:find(words, 1, true) then return true end
  end
  return false
end

local ok, err = pcall(function()
  helpers.type(":edit " .. vim.fn.fnameescape(wish) .. "<CR>")
  local bufnr = vim.api.nvim_get_current_buf()
  local client = helpers.attached_client(bufnr)
  step("started")

  if os.getenv("PR_ONLY") then
    helpers.type(":WishPR<CR>")
    helpers.wait_for("the pull request", function() return ours("Opened ") end, 60000)
    step("pr")
  else
    helpers.answer("a")
    helpers.type(":WishApply<CR>")
    helpers.wait_for("the apply", function() return ours("Applied") end, 60000)
    step("applied")
    result.modified = {}
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].modified then
        table.insert(result.modified, vim.api.nvim_buf_get_name(buf))
      end
    end
    local root = os.getenv("WORKSPACE_ROOT")
    local function read(path)
      local handle = io.open(root .. "/" .. path, "r")
      if not handle then return vim.NIL end
      local text = handle:read("*a")
      handle:close()
      return text
    end
    result.after = { lamps = read("src/lamps.py"), beacon = read("src/beacon.py"), old = read("src/old.py") }
    result.actions = helpers.code_action(bufnr, client.id, "Undo apply")
    helpers.type(":WishLedger<CR>")
    result.ledger = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    result.ledger_scratch = vim.bo.buftype
    helpers.type(":close<CR>")
    -- The diff split closed with the answer; the ledger's with :close.
    result.windows_after = #vim.api.nvim_tabpage_list_wins(0)
    helpers.type(":WishUndo<CR>")
    helpers.wait_for("the undo", function() return ours("Undid ") end)
    result.actions_after_undo = helpers.code_action(bufnr, client.id, "Apply plan")
    step("undone")
  end
  result.messages = helpers.messages()
  vim.lsp.stop_client(client.id)
end)
if not ok then result.error = tostring(err) .. "\n" .. vim.inspect(helpers.messages()) end
helpers.finish(result)
