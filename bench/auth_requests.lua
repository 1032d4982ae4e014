-- wrk script for bench/auth.py: authentication requests built from a file, one per line.
--
-- BENCH_MODE      login    POST {"email": <line>, "password": BENCH_PASSWORD}, cycling
--                 bearer   GET with "Authorization: Bearer <line>", cycling
--                 refresh  POST {"refresh_token": <line>}, each line sent at most once
-- BENCH_LINES     the file; thread i of BENCH_THREADS takes its own contiguous slice
--                 (login and bearer: the whole file when it has fewer lines than threads)
-- BENCH_THREADS   wrk's -t, so that each thread can find its slice
-- BENCH_API_KEY   sent as X-API-Key when set
-- BENCH_PASSWORD  the password of login requests
--
-- done() prints "bench-statuses 200=N ..." (response statuses over all threads) and
-- "bench-exhausted N": refresh requests a thread sent after running out of tokens. Those
-- carry a deliberately invalid token (answered 401), so no token is ever sent twice.

local mode = os.getenv("BENCH_MODE") or "bearer"
local lines_file = os.getenv("BENCH_LINES")
local thread_total = tonumber(os.getenv("BENCH_THREADS") or "1")
local key = os.getenv("BENCH_API_KEY")
local password = os.getenv("BENCH_PASSWORD") or ""

local threads = {}      -- main state: every thread, for done()
local prepared = {}     -- thread state: this thread's requests
local next_index = 1
local spent_request = nil
statuses = {}           -- globals, so that done() can read them with thread:get
exhausted = 0

function setup(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

local function quoted(text)
  local escaped = text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
  return '"' .. escaped .. '"'
end

local function build(line)
  local headers = {}
  if key and key ~= "" then
    headers["X-API-Key"] = key
  end
  if mode == "bearer" then
    headers["Authorization"] = "Bearer " .. line
    return wrk.format("GET", nil, headers)
  end
  headers["Content-Type"] = "application/json"
  local body
  if mode == "login" then
    body = '{"email": ' .. quoted(line) .. ', "password": ' .. quoted(password) .. '}'
  else
    body = '{"refresh_token": ' .. quoted(line) .. '}'
  end
  return wrk.format("POST", nil, headers, body)
end

function init(args)
  local all = {}
  for line in io.lines(lines_file) do
    if line ~= "" then
      all[#all + 1] = line
    end
  end
  local first, last = 1, #all
  if mode == "refresh" or #all >= thread_total then
    local per = math.floor(#all / thread_total)
    first = thread_number * per + 1
    last = first + per - 1
  end
  for i = first, last do
    prepared[#prepared + 1] = build(all[i])
  end
  if #prepared == 0 then
    error("bench: no lines for thread " .. thread_number .. " in " .. lines_file)
  end
  spent_request = build("rt_exhausted")
end

function request()
  if next_index > #prepared then
    if mode == "refresh" then
      exhausted = exhausted + 1
      return spent_request
    end
    next_index = 1
  end
  local chosen = prepared[next_index]
  next_index = next_index + 1
  return chosen
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, spent_total = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
    spent_total = spent_total + thread:get("exhausted")
  end
  local parts = {}
  for status, count in pairs(total) do
    parts[#parts + 1] = status .. "=" .. count
  end
  table.sort(parts)
  print("bench-statuses " .. table.concat(parts, " "))
  print("bench-exhausted " .. spent_total)
end
