-- Every row of the glob table the server's and the VS Code client's tests read
-- ($GLOB_TABLE, tests/fixtures/glob_dialects.json), answered by the plugin's FILE-dialect
-- reading (lua/wishcraft/files.lua): true or false, or "refused" when a glob cannot be used.
-- Writes the answers to $RESULT_FILE.
local helpers = dofile(os.getenv("HELPERS"))
local files = require("wishcraft.files")
local result = { rows = {} }

local ok, err = pcall(function()
  local handle = io.open(os.getenv("GLOB_TABLE"), "r")
  local table_ = vim.fn.json_decode(handle:read("*a"))
  handle:close()
  for _, row in ipairs(table_.rows) do
    local matchers = files.compile(row.globs)
    if matchers == nil then
      result.rows[row.id] = "refused"
    else
      result.rows[row.id] = files.matches(matchers, row.path)
    end
  end
end)
if not ok then result.error = tostring(err) end
helpers.finish(result)
