-- The plugin by keystrokes: `:WishPlan` opens the plan beside the wish and rewrites it while it
-- streams, progress shows in the echo area and the statusline function; a second `:WishPlan`
-- is stopped with `:WishCancel`. Writes what happened to $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local wish = os.getenv("WISH_FILE")
local result = { steps = {}, statuses = {}, plan_sizes = {} }
local function step(name) table.insert(result.steps, name) end

local function plan_window()
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    local name = vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(win))
    if name:match("%.plan%.md$") then return win end
  end
end

local ok, err = pcall(function()
  helpers.type(":edit " .. vim.fn.fnameescape(wish) .. "<CR>")
  local bufnr = vim.api.nvim_get_current_buf()
  local client = helpers.attached_client(bufnr)
  step("started")

  -- Code lenses: fetched on open, fetched again after the plan (the calls left change).
  local function lenses()
    local titles = {}
    for _, lens in ipairs(vim.lsp.codelens.get(bufnr) or {}) do
      table.insert(titles, lens.command and lens.command.title or "")
    end
    table.sort(titles)
    return titles
  end
  helpers.wait_for("code lenses on open", function() return #lenses() > 0 end)
  result.lenses_before = lenses()

  local wishcraft = require("wishcraft")
  helpers.type(":WishPlan<CR>")
  helpers.wait_for("the plan beside the wish", function() return plan_window() ~= nil end)
  result.current_is_wish = vim.api.nvim_get_current_buf() == bufnr
  result.windows = #vim.api.nvim_tabpage_list_wins(0)
  step("beside")
  -- Seen while it streams: the statusline text, and the plan buffer's size.
  helpers.wait_for("the plan to end", function()
    local status = wishcraft.status()
    if status ~= "" then table.insert(result.statuses, status) end
    local win = plan_window()
    if win then
      local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
      if result.plan_sizes[#result.plan_sizes] ~= #lines then table.insert(result.plan_sizes, #lines) end
      -- Until the finished plan shows: its last update may land just after the progress ends.
      if #result.statuses > 0 and status == "" then
        return table.concat(lines, "\n"):find("12 tiles surveyed", 1, true) ~= nil
      end
    end
    return false
  end)
  local plan_buf = vim.api.nvim_win_get_buf(plan_window())
  result.plan = vim.api.nvim_buf_get_lines(plan_buf, 0, -1, false)
  result.plan_modified = vim.bo[plan_buf].modified
  helpers.wait_for("fresh code lenses", function()
    return vim.inspect(lenses()) ~= vim.inspect(result.lenses_before)
  end, 10000)
  result.lenses_after = lenses()
  step("planned")

  helpers.type(":WishPlan<CR>")
  helpers.wait_for("the second plan to start", function() return wishcraft.status() ~= "" end)
  helpers.type(":WishCancel<CR>")
  helpers.wait_for("the second plan to end", function() return wishcraft.status() == "" end)
  step("cancelled")
  result.messages = helpers.messages()
  vim.lsp.stop_client(client.id)
end)
if not ok then result.error = tostring(err) end
helpers.finish(result)
