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

return M
