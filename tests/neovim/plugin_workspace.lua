-- The plugin's workspace keys and commands, typed as a user types them: `grr` lists the uses
-- of a conduit id in the quickfix list (and they are highlighted when the cursor rests),
-- `grn` renames it in the registry and every wish (and says why not on a key), `:WishFormat`
-- formats the wish, `:WishFind` finds wishes and conduits in the whole workspace, inlay hints
-- show on 0.10+; a registry edit, saved, reaches the open wish and one that was never opened.
-- Writes what happened to $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local wish = os.getenv("WISH_FILE")
local result = { steps = {} }
local function step(name) table.insert(result.steps, name) end
local function lines(bufnr) return vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false) end
local function quickfix_files()
  local files = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    table.insert(files, vim.fn.fnamemodify(vim.fn.bufname(item.bufnr), ":t") .. ":" .. item.lnum)
  end
  table.sort(files)
  return files
end
--- Put the cursor on the first line matching `pattern`, at the column of `word` in it.
local function cursor_on(pattern, word)
  for index, line in ipairs(lines()) do
    if line:find(pattern) then
      local column = line:find(word, 1, true)
      vim.api.nvim_win_set_cursor(0, { index, column - 1 })
      return
    end
  end
  error("no line matching " .. pattern)
end

local ok, err = pcall(function()
  helpers.type(":edit " .. vim.fn.fnameescape(wish) .. "<CR>")
  local bufnr = vim.api.nvim_get_current_buf()
  local client = helpers.attached_client(bufnr)
  result.formatexpr = vim.bo[bufnr].formatexpr
  if vim.lsp.inlay_hint then
    -- 0.10+: the hints are shown (asked for as Neovim asks when it draws the buffer).
    helpers.wait_for("the inlay hints", function()
      vim.cmd("redraw")
      return #vim.lsp.inlay_hint.get({ bufnr = bufnr }) > 0
    end, 10000)
    result.inlay_hints = {}
    for _, item in ipairs(vim.lsp.inlay_hint.get({ bufnr = bufnr })) do
      local label = item.inlay_hint.label
      if type(label) == "table" then
        local parts = {}
        for _, part in ipairs(label) do table.insert(parts, part.value) end
        label = table.concat(parts)
      end
      table.insert(result.inlay_hints, label)
    end
  end
  step("started")

  -- `:WishFormat`: the wish was written with four-space indents and extra spaces.
  helpers.type(":WishFormat<CR>")
  result.formatted = lines(bufnr)
  helpers.type(":w<CR>")
  step("formatted")

  -- `grr` on a tool id: every use, in the quickfix list.
  cursor_on('^  %- "cartographer%.survey"', "cartographer")
  vim.fn.setqflist({})
  helpers.type("grr")
  helpers.wait_for("the references", function() return #vim.fn.getqflist() > 0 end, 10000)
  result.references = quickfix_files()
  helpers.type(":cclose<CR>")
  vim.api.nvim_set_current_buf(bufnr)
  -- The cursor rests on the id: its uses in this file are highlighted.
  cursor_on('^  %- "cartographer%.survey"', "cartographer")
  vim.cmd("doautocmd CursorHold")
  helpers.wait_for("the highlighted uses", function()
    for name, ns in pairs(vim.api.nvim_get_namespaces()) do
      if name:find("references", 1, true) then
        result.highlights = #vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, {})
        if result.highlights > 0 then return true end
      end
    end
    return false
  end, 10000)
  step("references")

  -- `grn` on a key: the server's reason, and no question.
  cursor_on("^title:", "title")
  helpers.type("grn")
  helpers.wait_for("the refusal", function()
    return vim.fn.execute("messages"):find("conduit id", 1, true) ~= nil
  end, 10000)
  step("refused")

  -- `grn` on the tool id: the new name typed over the old one, then `:wall`.
  cursor_on('^  %- "cartographer%.survey"', "survey")
  helpers.answer("<C-u>cartographer.chart<CR>")
  helpers.type("grn")
  helpers.wait_for("the rename", function()
    return table.concat(lines(bufnr), "\n"):find("cartographer.chart", 1, true) ~= nil
  end, 10000)
  result.rename_said = vim.tbl_filter(function(line) return line:find("Renamed", 1, true) ~= nil end,
                                      helpers.messages())
  helpers.type(":wall<CR>")
  step("renamed")

  -- `:WishFind` with a word of a closed wish's title.
  vim.fn.setqflist({})
  helpers.type(":WishFind beacon<CR>")
  helpers.wait_for("the symbols", function() return #vim.fn.getqflist() > 0 end, 10000)
  result.found = quickfix_files()
  helpers.type(":cclose<CR>")
  step("found")

  -- The registry, edited and saved: the wish nobody opened gets its diagnostic.
  local closed = vim.fn.fnamemodify(wish, ":h") .. "/untouched.wish.yaml"
  helpers.type(":edit " .. vim.fn.fnameescape(vim.fn.fnamemodify(wish, ":h:h") .. "/conduits/registry.yaml") .. "<CR>")
  helpers.attached_client(vim.api.nvim_get_current_buf())
  helpers.type(':%s/id: "worldsmith.place"/id: "worldsmith.placer"/<CR>:w<CR>')
  helpers.wait_for("the closed wish's diagnostic", function()
    local closed_buf = vim.fn.bufnr(closed)
    if closed_buf < 0 then return false end
    for _, diagnostic in ipairs(vim.diagnostic.get(closed_buf)) do
      if diagnostic.message:find("worldsmith.place", 1, true) then
        result.closed_diagnostic = diagnostic.message
        result.closed_loaded = vim.api.nvim_buf_is_loaded(closed_buf)
        return true
      end
    end
    return false
  end, 15000)
  -- And the open wish, which did not change, is checked again too.
  helpers.wait_for("the open wish's diagnostic", function()
    for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
      if diagnostic.message:find("worldsmith.place", 1, true) then return true end
    end
    return false
  end, 15000)
  step("closed")
  result.messages = helpers.messages()
  vim.lsp.stop_client(client.id)
end)
if not ok then result.error = tostring(err) .. "\n" .. vim.inspect(helpers.messages()) end
helpers.finish(result)
