-- Open a 10-point ticket, every request on the one hot account (all writers queue on its lock).
local b = dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")
b.install()

request = function()
  local body = string.format('{"external_ref":"%s","category":"consultation","subject":"bench"}', b.ref())
  return wrk.format("POST", "/v1/accounts/" .. b.hot .. "/tickets", b.json, body)
end
