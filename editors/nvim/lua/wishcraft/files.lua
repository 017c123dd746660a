-- Which files are wishes, as the server and `wishcraft lint` decide it: the built-in names
-- (`*.wish.yaml`, `*.wish.yml`, YAML under a `wishes/` folder, `conduits/registry.yaml`), plus
-- the globs a repository names in `[files] globs` of its `data/config/wishcraft.toml` (or the
-- user's `wishcraft.files.globs` setting, which wins, as on the server). Neovim only starts the
-- server for the files this says yes to, so a repository whose wishes are `*.spell` files
-- must be read here too, or its wishes would get nothing in the editor.
--
-- No side effects: the plugin (lua/wishcraft) and the 0.11 config file (lsp/wishcraft.lua)
-- both use it. The repository's globs are asked of `wishcraft globs` (the package reads
-- wishcraft.toml; no TOML reader here), then matched in the FILE dialect of `wishcraft.globs`
-- (the server's module docstring), translated to a Vim regex; tests/neovim runs every row of
-- the glob table the server's and the VS Code client's tests run
-- (tests/fixtures/glob_dialects.json).
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

-- The repository's globs ---------------------------------------------------------------------

--- The `wishcraft` command that reads a repository's globs, as an argument list (the plugin
--- sets the one of the same install as its server).
M.cli = { "wishcraft" }

local cache = {} -- root -> { stamp = "mtime:size", matchers = {...} | false }
local asking = {} -- root -> { stamp = ..., waiting = { callbacks } }: a `wishcraft globs` running

--- The matchers from `wishcraft globs`' JSON answer, or false when it names no usable globs.
local function matchers_of(code, lines)
  local ok, report = pcall(vim.fn.json_decode, table.concat(lines or {}, "\n"))
  if code ~= 0 or not ok or type(report) ~= "table" or report.source ~= "config"
      or type(report.globs) ~= "table" then
    return false
  end
  return M.compile(report.globs) or false
end

--- The matchers of a repository's `[files] globs`, asked of `wishcraft globs --format json`
--- (wishcraft.toml has one reader, the package's) once per change of the file; nil when it
--- names none, cannot be used (`wishcraft lint` says why) or `wishcraft` is not installed.
---
--- Asked in the background, so that opening a file never waits on a Python start: until the
--- answer is in, this returns nil, and `on_answer` (when given) is called once it is.
function M.repository_matchers(root, on_answer)
  local stat = vim.loop.fs_stat(root .. "/" .. M.REPOSITORY_CONFIG)
  if not stat then return nil end
  local stamp = stat.mtime.sec .. "." .. stat.mtime.nsec .. ":" .. stat.size
  local entry = cache[root]
  if entry and entry.stamp == stamp then return entry.matchers or nil end
  if vim.fn.executable(M.cli[1]) ~= 1 then
    cache[root] = { stamp = stamp, matchers = false }
    return nil
  end
  local running = asking[root]
  if running and running.stamp == stamp then
    if on_answer then table.insert(running.waiting, on_answer) end
    return nil
  end
  running = { stamp = stamp, waiting = { on_answer }, lines = {} }
  asking[root] = running
  local argv = vim.list_extend(vim.deepcopy(M.cli), { "globs", "--format", "json", root })
  local started = vim.fn.jobstart(argv, {
    stdout_buffered = true,
    on_stdout = function(_, data) running.lines = data end,
    on_exit = function(_, code)
      cache[root] = { stamp = stamp, matchers = matchers_of(code, running.lines) }
      if asking[root] == running then asking[root] = nil end
      for _, callback in ipairs(running.waiting) do callback() end
    end,
  })
  if started <= 0 then
    asking[root] = nil
    cache[root] = { stamp = stamp, matchers = false }
  end
  return nil
end

local compiled = setmetatable({}, { __mode = "k" }) -- the setting's globs table -> matchers

--- The matchers of the user's `files.globs` setting, compiled once per table (every file
--- opened asks), or nil when one cannot be used.
local function compiled_setting(globs)
  if compiled[globs] == nil then compiled[globs] = M.compile(globs) or false end
  return compiled[globs] or nil
end

--- Whether `name` (a full path) is a wish or a conduit registry: the built-in names, or the
--- wish globs in force for its repository (`configured`, the user's setting, wins over the
--- repository's `[files] globs`, as on the server). While the repository's globs are still
--- being asked for, the answer is no, and `on_answer` is called once they are known.
function M.is_wishcraft_file(name, configured, on_answer)
  name = name:gsub("\\", "/")
  if builtin(name) then return true end
  local matchers
  if type(configured) == "table" and #configured > 0 then
    matchers = compiled_setting(configured)
  else
    matchers = M.repository_matchers(M.root_for(name), on_answer)
  end
  return matchers ~= nil and M.matches(matchers, name)
end

return M
