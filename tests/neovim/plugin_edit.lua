-- The plugin (editors/nvim) by keystrokes: in a new, empty wish, the code-action key inserts
-- the wish skeleton (picked from the list as a user picks it), `:w` saves it; `<C-x><C-o>`
-- completes a key and a conduit id; `K` shows hover. Writes what happened to $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local wish = os.getenv("WISH_FILE")
local result = { steps = {} }
local function step(name) table.insert(result.steps, name) end
local function lines() return vim.api.nvim_buf_get_lines(0, 0, -1, false) end

local ok, err = pcall(function()
  -- A user's own `gd` (global) is kept; `K` is the plugin's in wish buffers.
  helpers.type(":nnoremap gd :echo 'mine'<CR>")
  helpers.type(":edit " .. vim.fn.fnameescape(wish) .. "<CR>")
  local bufnr = vim.api.nvim_get_current_buf()
  local client = helpers.attached_client(bufnr)
  result.omnifunc = vim.bo[bufnr].omnifunc
  result.gd = vim.fn.maparg("gd", "n")
  result.K_buffer_local = vim.fn.maparg("K", "n", false, true).buffer == 1
  step("started")

  -- Where "Insert wish skeleton" stands in the list the code-action key shows (observed, so
  -- that the answer typed is the number a user would read).
  local titles = helpers.code_action(bufnr, client.id, "Insert wish skeleton")
  result.actions = titles
  for index, title in ipairs(titles) do
    if title == "Insert wish skeleton" then helpers.answer(index .. "<CR>") end
  end
  helpers.type("\\ca")
  helpers.wait_for("the skeleton", function() return (lines()[1] or ""):match("^title:") ~= nil end)
  helpers.type(":w<CR>")
  result.skeleton = lines()
  step("skeleton")

  -- A key the skeleton lacks: on a new last line, "me" then <C-x><C-o>.
  helpers.type("Gome<C-x><C-o><Esc>")
  result.key_lines = lines()
  step("key")

  -- A conduit id: a new item under `tools:`.
  local tools
  for index, line in ipairs(lines()) do
    if line:match("^tools:") then tools = index end
  end
  helpers.type(":" .. tools .. "<CR>o  - cart<C-x><C-o><Esc>")
  result.tool_line = lines()[tools + 1]
  step("conduit")

  -- Hover on the first key.
  helpers.type("gg0K")
  local floating
  helpers.wait_for("a hover window", function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= "" then floating = win return true end
    end
    return false
  end, 10000)
  result.hover = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(floating), 0, -1, false)
  step("hover")
  result.modified = vim.bo[bufnr].modified
  result.messages = helpers.messages()
  vim.lsp.stop_client(client.id)
end)
if not ok then result.error = tostring(err) end
helpers.finish(result)
