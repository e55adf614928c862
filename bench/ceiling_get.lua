-- Ceiling: a trivial GET (no database, no key lookup), POINTS_BENCH_ROUTES=true.
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()

request = function()
  return wrk.format("GET", "/bench/ceiling")
end
