-- Open a 10-point ticket on a random account among all seeded ones (little lock contention).
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()

request = function()
  local body = string.format('{"external_ref":"%s","category":"consultation","subject":"bench"}', b.ref())
  return wrk.format("POST", "/v1/accounts/" .. b.account() .. "/tickets", b.json, body)
end
