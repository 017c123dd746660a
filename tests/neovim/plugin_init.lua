-- The plugin by keystrokes: `:WishInit` in a new repository (no wish open, so no server yet)
-- sets Wishcraft up and opens the starter wish, which gets a server. Writes what happened to
-- $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local result = { steps = {} }

local ok, err = pcall(function()
  helpers.type(":WishInit<CR>")
  local bufnr = vim.api.nvim_get_current_buf()
  result.opened = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":.")
  local client = helpers.attached_client(bufnr)
  table.insert(result.steps, "initialised")
  -- Nothing to undo, nothing running: one sentence each, never twice.
  helpers.type(":WishUndo<CR>")
  helpers.wait_for("the undo's answer", function()
    return vim.fn.execute("messages"):find("no applied change", 1, true) ~= nil
  end)
  helpers.wait_for("the undo's reply", function()
    for _, request in pairs(client.requests or {}) do
      if request.type == "pending" then return false end
    end
    return true
  end)
  -- Background work the server did not offer to stop (its indexing, reported as it is here)
  -- is not what :WishCancel stops: the user is told nothing can be cancelled.
  local progress = client.handlers["$/progress"] or client.config.handlers["$/progress"]
  local ctx = { client_id = client.id, method = "$/progress" }
  progress(nil, { token = "background", value = { kind = "begin", title = "Indexing wishes",
                                                   cancellable = false } }, ctx, client.config)
  helpers.type(":WishCancel<CR>")
  helpers.wait_for("the cancel's answer", function()
    return vim.fn.execute("messages"):find("Nothing is running that can be cancelled", 1, true) ~= nil
  end)
  progress(nil, { token = "background", value = { kind = "end" } }, ctx, client.config)
  helpers.type(":new<CR>:WishPlan<CR>")
  result.messages = helpers.messages()
  vim.lsp.stop_client(client.id)
end)
if not ok then result.error = tostring(err) .. "\n" .. vim.inspect(helpers.messages()) end
helpers.finish(result)
