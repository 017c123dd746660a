-- The plugin by keystrokes: `:WishTrust` on an open wish; the server's question (quoting the
-- command trust lets run) comes as Neovim's confirm() prompt, answered "t" (Trust) at the keyboard.
-- Writes what happened to $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local result = { steps = {}, asked = {} }
-- What the plugin asked (its confirm() prompt is not kept in :messages).
local confirm = vim.fn.confirm
vim.fn.confirm = function(message, ...)
  table.insert(result.asked, message)
  return confirm(message, ...)
end

local ok, err = pcall(function()
  helpers.type(":edit " .. vim.fn.fnameescape(os.getenv("WISH_FILE")) .. "<CR>")
  helpers.attached_client(vim.api.nvim_get_current_buf())
  table.insert(result.steps, "started")
  helpers.answer("t")
  helpers.type(":WishTrust<CR>")
  helpers.wait_for("the trust", function()
    return vim.fn.execute("messages"):find("Trusted ", 1, true) ~= nil
  end, 30000)
  table.insert(result.steps, "trusted")
end)
if not ok then result.error = tostring(err) .. "\n" .. vim.inspect(helpers.messages()) end
result.messages = helpers.messages()
helpers.finish(result)
