-- wrk script for bench/webhooks.py: POST /api/v1/users with a unique email per request.
-- The API key arrives in the environment variable BENCH_API_KEY.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
  math.randomseed(os.time() + id)
end

function request()
  counter = counter + 1
  local email = string.format("b%d-%d-%d@bench.test", thread_id, math.random(1, 1e9), counter)
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-API-Key"] = os.getenv("BENCH_API_KEY"),
  }
  return wrk.format("POST", "/api/v1/users", headers, '{"email": "' .. email .. '"}')
end
