-- Read a random account's three-part statement (balance, modifications, open and closed tickets).
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()

request = function()
  return wrk.format("GET", "/v1/accounts/" .. b.account() .. "/statement")
end
