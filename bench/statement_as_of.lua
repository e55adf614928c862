-- Read a random account's statement as of a past instant (BENCH_AS_OF, set by bench/run.py when the
-- phase begins): the statement scenario's as-of twin.
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()

local as_of = os.getenv("BENCH_AS_OF") or error("BENCH_AS_OF is not set")

request = function()
  return wrk.format("GET", "/v1/accounts/" .. b.account() .. "/statement?as_of=" .. as_of)
end
