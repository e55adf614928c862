-- Read a random account's page: the three-part statement as HTML (the statement scenario's twin),
-- with the pages' session cookie (BENCH_COOKIE, signed in once by bench/run.py).
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()

local common_init = init
init = function(args)
  common_init(args)
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""
end

request = function()
  return wrk.format("GET", "/ui/accounts/" .. b.account())
end
