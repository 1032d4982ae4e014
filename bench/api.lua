-- wrk script used by bench/wrk.py: sends X-API-Key and spreads requests over many paths.
--
-- BENCH_API_KEY  the key to send in X-API-Key (optional).
-- BENCH_PATHS    a file with one request path per line (optional); each request picks one
--                at random, so single-user reads do not hit one hot row. Without it every
--                request goes to the path of the URL given to wrk.

local key = os.getenv("BENCH_API_KEY")
local paths_file = os.getenv("BENCH_PATHS")
local requests = {}
local thread_count = 0

if key and key ~= "" then
  wrk.headers["X-API-Key"] = key
end

function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  if paths_file and paths_file ~= "" then
    for line in io.lines(paths_file) do
      if line ~= "" then
        requests[#requests + 1] = wrk.format("GET", line)
      end
    end
  end
  if #requests == 0 then
    requests[1] = wrk.format("GET", wrk.path)
  end
  -- A different but reproducible sequence per thread.
  math.randomseed(7919 * (thread_number or 0) + 1)
end

function request()
  return requests[math.random(#requests)]
end
