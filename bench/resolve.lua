-- Resolve open tickets, each once: thread k takes tickets k, k+T, k+2T… of the file. Running out
-- wraps around, and resolving a resolved ticket answers 409, counted as errors.
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()
local base_init = init
local tickets
local i

init = function(args)
  base_init(args)
  tickets = b.load_tickets()
  i = id - b.nthreads
end

request = function()
  i = i + b.nthreads
  local ticket = tickets[((i - 1) % #tickets) + 1]
  return wrk.format("POST", "/v1/tickets/" .. ticket .. "/resolve", b.json, "{}")
end
