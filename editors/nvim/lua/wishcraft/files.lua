-- Which files are wishes, as the server and `wishcraft lint` decide it: the built-in names
-- (`*.wish.yaml`, `*.wish.yml`, YAML under a `wishes/` folder, `conduits/registry.yaml`), plus
-- the globs a repository names in `[files] globs` of its `data/config/wishcraft.toml` (or the
-- user's `wishcraft.files.globs` setting, which wins, as on the server). Neovim only starts the
-- server for the files this says yes to, so a repository whose wishes are `*.spell` files
-- must be read here too, or its wishes would get nothing in the editor.
--
-- No side effects: the plugin (lua/wishcraft) and the 0.11 config file (lsp/wishcraft.lua)
-- both use it. Globs are read in the FILE dialect of `wishcraft.globs` (the server's module
-- docstring), translated to a Vim regex; tests/neovim runs every row of the glob table the
-- server's and the VS Code client's tests run (tests/fixtures/glob_dialects.json).
local M = {}

--- Where a repository keeps its wishcraft.toml, relative to its root.
M.REPOSITORY_CONFIG = "data/config/wishcraft.toml"

local function builtin(name)
  return name:match("%.wish%.ya?ml$") ~= nil
    or name:match("/wishes/.+%.ya?ml$") ~= nil
    or name:match("/conduits/registry%.ya?ml$") ~= nil
end

--- The project folder of a file: the nearest folder above it holding `data/`, else `.git`,
--- else the file's own folder.
function M.root_for(name)
  local folder = vim.fn.fnamemodify(name, ":p:h")
  for _, marker in ipairs({ "data", ".git" }) do
    local dir = folder
    while dir and dir ~= "" do
      if vim.fn.isdirectory(dir .. "/" .. marker) == 1 or vim.fn.filereadable(dir .. "/" .. marker) == 1 then
        return dir
      end
      local parent = vim.fn.fnamemodify(dir, ":h")
      if parent == dir then break end
      dir = parent
    end
  end
  return folder
end

-- Globs -------------------------------------------------------------------------------------

--- A wish glob as a Vim regex over a whole `/`-separated path, or nil and why it cannot be
--- used (an unclosed `[` or `{`, as the server refuses it). Mirrors `globs.file_expression`.
function M.glob_regex(pattern)
  local text = pattern:gsub("\\", "/")
  if not text:find("/", 1, true) or not (text:sub(1, 1) == "/" or text:sub(1, 2) == "**") then
    text = "**/" .. text
  end
  local out, index, depth, length = {}, 1, 0, #text
  while index <= length do
    local char = text:sub(index, index)
    if char == "*" then
      local run = #text:match("^%*+", index)
      local after = text:sub(index + run, index + run)
      local whole = (index == 1 or text:sub(index - 1, index - 1) == "/") and (after == "" or after == "/")
      if whole and run >= 2 and after ~= "" then
        table.insert(out, "%([^/]*/)*") -- `**/`: zero or more folders
        index = index + run + 1
      else
        table.insert(out, (whole and run >= 2) and ".*" or "[^/]*")
        index = index + run
      end
    elseif char == "[" then
      local negate = text:sub(index + 1, index + 1) == "!" or text:sub(index + 1, index + 1) == "^"
      local start = negate and index + 2 or index + 1
      local close = text:find("]", start + 1, true)
      if not close then return nil, ("unclosed `[` in the glob %q"):format(pattern) end
      local body = text:sub(start, close - 1):gsub("\\", "\\\\"):gsub("%^", "\\^")
      if body:sub(1, 1) == "]" then body = "\\" .. body end
      table.insert(out, negate and ("[^/" .. body .. "]") or ("[" .. body .. "]"))
      index = close + 1
    else
      if char == "?" then
        table.insert(out, "[^/]")
      elseif char == "{" then
        depth = depth + 1
        table.insert(out, "%(")
      elseif char == "}" and depth > 0 then
        depth = depth - 1
        table.insert(out, ")")
      elseif char == "," and depth > 0 then
        table.insert(out, "|")
      elseif char:match("[%w_]") or char:byte() >= 128 then
        table.insert(out, char)
      else
        table.insert(out, "\\" .. char) -- very magic: punctuation escaped is literal
      end
      index = index + 1
    end
  end
  if depth > 0 then return nil, ("unclosed `{` in the glob %q"):format(pattern) end
  return "\\v\\C^" .. table.concat(out) .. "$"
end

--- Matchers for `globs`, or nil and why when one cannot be used (then none is: the server
--- refuses the whole list the same way, and keeps its defaults).
function M.compile(globs)
  local matchers = {}
  for _, glob in ipairs(globs) do
    if type(glob) ~= "string" or vim.trim(glob) == "" then return nil, "a glob pattern is empty" end
    local expression, why = M.glob_regex(glob)
    if not expression then return nil, why end
    local ok, regex = pcall(vim.regex, expression)
    if not ok then return nil, ("the glob %q cannot be used"):format(glob) end
    table.insert(matchers, regex)
  end
  return matchers
end

--- Whether a `/`-separated `path` matches one of `matchers`.
function M.matches(matchers, path)
  for _, regex in ipairs(matchers) do
    if regex:match_str(path) then return true end
  end
  return false
end

-- wishcraft.toml ----------------------------------------------------------------------------

--- The strings of a TOML array that starts at `index` of `text` (just after its `[`), or nil
--- when it is not an array of plain strings (comments and line breaks allowed between them).
local function string_array(text, index)
  local items = {}
  local escapes = { b = "\b", t = "\t", n = "\n", f = "\f", r = "\r", ['"'] = '"', ["\\"] = "\\" }
  while true do
    local skipped = text:match("^[%s,]*", index)
    index = index + #skipped
    local char = text:sub(index, index)
    if char == "#" then
      index = (text:find("\n", index, true) or #text) + 1
    elseif char == "]" then
      return items
    elseif text:sub(index, index + 2) == '"""' or text:sub(index, index + 2) == "'''" then
      return nil -- multi-line strings: not a glob
    elseif char == "'" then
      local close = text:find("'", index + 1, true)
      if not close then return nil end
      table.insert(items, text:sub(index + 1, close - 1))
      index = close + 1
    elseif char == '"' then
      local parts, at = {}, index + 1
      while true do
        local c = text:sub(at, at)
        if c == "" or c == "\n" then return nil end
        if c == '"' then break end
        if c == "\\" then
          local e = text:sub(at + 1, at + 1)
          if not escapes[e] then return nil end
          table.insert(parts, escapes[e])
          at = at + 2
        else
          table.insert(parts, c)
          at = at + 1
        end
      end
      table.insert(items, table.concat(parts))
      index = at + 1
    else
      return nil
    end
  end
end

--- `globs` under `[files]` of a wishcraft.toml's text, or nil when it names none or cannot
--- be read here (the server reports a broken file; the built-in names still apply).
function M.toml_globs(text)
  local table_name
  local position = 1
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local header = line:match("^%s*%[%s*([%w_%-%.\"']+)%s*%]%s*$") or line:match("^%s*%[%s*([%w_%-%.\"']+)%s*%]%s*#")
    if header then
      table_name = header:gsub("[\"']", "")
    elseif table_name == "files" then
      local key_end = select(2, line:find("^%s*[\"']?globs[\"']?%s*=%s*%["))
      if key_end then return string_array(text, position + key_end) end
    end
    position = position + #line + 1
  end
  return nil
end

local cache = {} -- root -> { stamp = "mtime:size", matchers = {...} | false }

--- The matchers of a repository's `[files] globs`, re-read when its wishcraft.toml changes;
--- nil when it has none (or none usable).
function M.repository_matchers(root)
  local path = root .. "/" .. M.REPOSITORY_CONFIG
  local stat = vim.loop.fs_stat(path)
  local stamp = stat and (stat.mtime.sec .. "." .. stat.mtime.nsec .. ":" .. stat.size) or "none"
  local entry = cache[root]
  if entry and entry.stamp == stamp then return entry.matchers or nil end
  local matchers = false
  if stat then
    local file = io.open(path, "r")
    local text = file and file:read("*a")
    if file then file:close() end
    local globs = text and M.toml_globs(text)
    matchers = globs and M.compile(globs) or false
  end
  cache[root] = { stamp = stamp, matchers = matchers }
  return matchers or nil
end

--- Whether `name` (a full path) is a wish or a conduit registry: the built-in names, or the
--- wish globs in force for its repository (`configured`, the user's setting, wins over the
--- repository's `[files] globs`, as on the server).
function M.is_wishcraft_file(name, configured)
  name = name:gsub("\\", "/")
  if builtin(name) then return true end
  local matchers
  if type(configured) == "table" and #configured > 0 then
    matchers = M.compile(configured)
  else
    matchers = M.repository_matchers(M.root_for(name))
  end
  return matchers ~= nil and M.matches(matchers, name)
end

return M
